// libFuzzer target: the ring-record decoder, which reads bytes the kernel
// side wrote. Any input must decode or be refused, never crash or read past
// the record.
//
// With HUPWATCH_FUZZ_MAKE_SEED=DIR it writes one well-formed record of each
// type into DIR and exits: scripts/fuzz.sh makes the seed corpus this way,
// from the one shared header, so the seeds follow the layout.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "decoder.h"
#include "hupwatch_events.h"

namespace {

hw_process sample_process() {
    hw_process p{};
    p.start_ns = 3'598'000'000'000;
    p.pid = p.tid = p.pgid = 4242;
    p.ppid = p.sid = 811;
    p.uid = p.loginuid = 1000;
    p.audit_session = 3;
    p.tty_dev = (136u << 20) | 3;
    std::memcpy(p.comm, "sleep", 5);
    return p;
}

template <typename T>
void write_seed(const std::string& dir, const char* name, T& record, std::uint32_t type) {
    record.hdr = {type, sizeof(T), 3'600'000'000'000};
    std::string path = dir + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::exit(1);
    std::fwrite(&record, 1, sizeof(T), f);
    std::fclose(f);
}

void make_seeds(const std::string& dir) {
    auto fork = std::make_unique<hw_fork_event>();
    fork->child = sample_process();
    write_seed(dir, "fork", *fork, HW_EV_FORK);
    auto exec = std::make_unique<hw_exec_event>();
    exec->proc = sample_process();
    const char args[] = "sleep\0600";
    std::memcpy(exec->args, args, sizeof(args));
    exec->args_len = sizeof(args);
    std::memcpy(exec->filename, "/usr/bin/sleep", 14);
    exec->filename_len = 14;
    write_seed(dir, "exec", *exec, HW_EV_EXEC);
    auto exit = std::make_unique<hw_exit_event>();
    exit->proc = sample_process();
    write_seed(dir, "exit", *exit, HW_EV_EXIT);
    auto signal = std::make_unique<hw_signal_event>();
    signal->target = sample_process();
    write_seed(dir, "signal", *signal, HW_EV_SIGNAL);
    auto reparent = std::make_unique<hw_reparent_event>();
    reparent->child = sample_process();
    write_seed(dir, "reparent", *reparent, HW_EV_REPARENT);
    auto session = std::make_unique<hw_session_event>();
    session->proc = sample_process();
    write_seed(dir, "session", *session, HW_EV_SESSION);
    auto lost = std::make_unique<hw_output_lost_event>();
    lost->proc = sample_process();
    write_seed(dir, "output_lost", *lost, HW_EV_OUTPUT_LOST);
    auto oom = std::make_unique<hw_oom_victim_event>();
    oom->victim = sample_process();
    std::memcpy(oom->memcg_path, "/hwtest", 8);
    oom->memcg_path_len = 7;
    write_seed(dir, "oom_victim", *oom, HW_EV_OOM_VICTIM);
    auto mkdir = std::make_unique<hw_cgroup_mkdir_event>();
    mkdir->proc = sample_process();
    std::memcpy(mkdir->path, "/hwtest.scope", 14);
    mkdir->path_len = 13;
    write_seed(dir, "cgroup_mkdir", *mkdir, HW_EV_CGROUP_MKDIR);
    std::exit(0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (const char* dir = std::getenv("HUPWATCH_FUZZ_MAKE_SEED")) make_seeds(dir);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto result = hupwatch::decode_record(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size));
    if (const auto* event = std::get_if<hupwatch::Event>(&result)) (void)event->subject();
    return 0;
}
