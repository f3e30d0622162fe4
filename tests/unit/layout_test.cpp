// The structs in bpf/hupwatch_events.h must have the same layout on both
// sides. clang wrote the BPF side's layout into the object's BTF; compare it,
// member by member, with what the C++ compiler sees.
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "hupwatch_events.h"

namespace {

struct MemberLayout {
    std::string name;
    std::size_t offset;
    std::size_t size;
};

struct StructLayout {
    std::string name;
    std::size_t size;
    std::vector<MemberLayout> members;
};

#define MEMBER(type, field)                                \
    MemberLayout {                                         \
#field, offsetof(type, field), sizeof(type::field) \
    }

std::vector<StructLayout> cxx_layouts() {
    return {
        {"hw_header",
         sizeof(hw_header),
         {MEMBER(hw_header, type), MEMBER(hw_header, size), MEMBER(hw_header, ktime_ns)}},
        {"hw_process",
         sizeof(hw_process),
         {MEMBER(hw_process, start_ns), MEMBER(hw_process, cgroup_id), MEMBER(hw_process, pid),
          MEMBER(hw_process, tid), MEMBER(hw_process, ppid), MEMBER(hw_process, pgid),
          MEMBER(hw_process, sid), MEMBER(hw_process, uid), MEMBER(hw_process, loginuid),
          MEMBER(hw_process, audit_session), MEMBER(hw_process, tty_dev), MEMBER(hw_process, _pad0),
          MEMBER(hw_process, comm)}},
        {"hw_fork_event",
         sizeof(hw_fork_event),
         {MEMBER(hw_fork_event, hdr), MEMBER(hw_fork_event, child),
          MEMBER(hw_fork_event, parent_start_ns)}},
        {"hw_exec_event",
         sizeof(hw_exec_event),
         {MEMBER(hw_exec_event, hdr), MEMBER(hw_exec_event, proc), MEMBER(hw_exec_event, old_pid),
          MEMBER(hw_exec_event, filename_len), MEMBER(hw_exec_event, args_len),
          MEMBER(hw_exec_event, args_truncated), MEMBER(hw_exec_event, filename),
          MEMBER(hw_exec_event, args)}},
        {"hw_exit_event",
         sizeof(hw_exit_event),
         {MEMBER(hw_exit_event, hdr), MEMBER(hw_exit_event, proc), MEMBER(hw_exit_event, exit_code),
          MEMBER(hw_exit_event, orphans), MEMBER(hw_exit_event, orphans_overflow),
          MEMBER(hw_exit_event, _pad0), MEMBER(hw_exit_event, utime_ns),
          MEMBER(hw_exit_event, stime_ns)}},
        {"hw_signal_event",
         sizeof(hw_signal_event),
         {MEMBER(hw_signal_event, hdr), MEMBER(hw_signal_event, target),
          MEMBER(hw_signal_event, sender_start_ns), MEMBER(hw_signal_event, sender_pid),
          MEMBER(hw_signal_event, sig), MEMBER(hw_signal_event, si_code),
          MEMBER(hw_signal_event, origin), MEMBER(hw_signal_event, result),
          MEMBER(hw_signal_event, group), MEMBER(hw_signal_event, sender_comm),
          MEMBER(hw_signal_event, no_info), MEMBER(hw_signal_event, sender_uid),
          MEMBER(hw_signal_event, sender_loginuid), MEMBER(hw_signal_event, disposition)}},
        {"hw_reparent_event",
         sizeof(hw_reparent_event),
         {MEMBER(hw_reparent_event, hdr), MEMBER(hw_reparent_event, child),
          MEMBER(hw_reparent_event, old_parent_start_ns),
          MEMBER(hw_reparent_event, new_parent_start_ns), MEMBER(hw_reparent_event, old_ppid),
          MEMBER(hw_reparent_event, new_ppid), MEMBER(hw_reparent_event, reaper),
          MEMBER(hw_reparent_event, _pad0)}},
        {"hw_session_event",
         sizeof(hw_session_event),
         {MEMBER(hw_session_event, hdr), MEMBER(hw_session_event, proc),
          MEMBER(hw_session_event, ret), MEMBER(hw_session_event, call),
          MEMBER(hw_session_event, arg_pid), MEMBER(hw_session_event, arg_pgid),
          MEMBER(hw_session_event, _pad0)}},
        {"hw_output_lost_event",
         sizeof(hw_output_lost_event),
         {MEMBER(hw_output_lost_event, hdr), MEMBER(hw_output_lost_event, proc),
          MEMBER(hw_output_lost_event, eio_writes), MEMBER(hw_output_lost_event, fd),
          MEMBER(hw_output_lost_event, _pad0)}},
        {"hw_oom_victim_event",
         sizeof(hw_oom_victim_event),
         {MEMBER(hw_oom_victim_event, hdr), MEMBER(hw_oom_victim_event, victim),
          MEMBER(hw_oom_victim_event, memcg_id), MEMBER(hw_oom_victim_event, trigger_start_ns),
          MEMBER(hw_oom_victim_event, trigger_pid), MEMBER(hw_oom_victim_event, memcg_path_len),
          MEMBER(hw_oom_victim_event, memcg_path_truncated), MEMBER(hw_oom_victim_event, _pad0),
          MEMBER(hw_oom_victim_event, memcg_path)}},
        {"hw_cgroup_mkdir_event",
         sizeof(hw_cgroup_mkdir_event),
         {MEMBER(hw_cgroup_mkdir_event, hdr), MEMBER(hw_cgroup_mkdir_event, proc),
          MEMBER(hw_cgroup_mkdir_event, cgroup_id), MEMBER(hw_cgroup_mkdir_event, path_len),
          MEMBER(hw_cgroup_mkdir_event, path_truncated), MEMBER(hw_cgroup_mkdir_event, path)}},
        {"hw_hung_up_fd",
         sizeof(hw_hung_up_fd),
         {MEMBER(hw_hung_up_fd, start_ns), MEMBER(hw_hung_up_fd, pid), MEMBER(hw_hung_up_fd, fd),
          MEMBER(hw_hung_up_fd, tty_dev), MEMBER(hw_hung_up_fd, kind)}},
    };
}

class SharedLayout : public ::testing::Test {
   protected:
    void SetUp() override {
        btf_ = btf__parse_elf(HUPWATCH_BPF_OBJECT_PATH, nullptr);
        ASSERT_NE(btf_, nullptr) << "cannot read BTF of " << HUPWATCH_BPF_OBJECT_PATH;
    }
    void TearDown() override { btf__free(btf_); }
    struct btf* btf_ = nullptr;
};

TEST_F(SharedLayout, EveryStructMatchesTheBpfObjectsBtf) {
    for (const auto& expected : cxx_layouts()) {
        SCOPED_TRACE(expected.name);
        int id = btf__find_by_name_kind(btf_, expected.name.c_str(), BTF_KIND_STRUCT);
        ASSERT_GT(id, 0) << "struct missing from the BPF object's BTF";
        const struct btf_type* type = btf__type_by_id(btf_, static_cast<__u32>(id));
        EXPECT_EQ(type->size, expected.size);
        ASSERT_EQ(btf_vlen(type), expected.members.size()) << "member count differs";
        const struct btf_member* members = btf_members(type);
        for (std::size_t i = 0; i < expected.members.size(); ++i) {
            const auto& want = expected.members[i];
            SCOPED_TRACE(want.name);
            EXPECT_EQ(btf__name_by_offset(btf_, members[i].name_off), want.name);
            EXPECT_EQ(btf_member_bit_offset(type, static_cast<__u32>(i)), want.offset * 8);
            EXPECT_EQ(static_cast<std::size_t>(btf__resolve_size(btf_, members[i].type)),
                      want.size);
        }
    }
}

}  // namespace
