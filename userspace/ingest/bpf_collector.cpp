#include "bpf_collector.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "hupwatch_bpf.skel.h"

namespace hupwatch {
namespace {

// libbpf prints through one global callback. Keep its recent lines so a
// verifier rejection can be explained; say nothing otherwise.
class LibbpfLog {
   public:
    static LibbpfLog& instance() {
        static LibbpfLog log;
        return log;
    }
    void install() { libbpf_set_print(&LibbpfLog::print); }
    std::vector<std::string> tail(std::size_t n) {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        std::size_t start = lines_.size() > n ? lines_.size() - n : 0;
        for (std::size_t i = start; i < lines_.size(); ++i) out.push_back(lines_[i]);
        return out;
    }
    void clear() {
        std::lock_guard lock(mutex_);
        lines_.clear();
    }

   private:
    static int print(enum libbpf_print_level level, const char* format, va_list args) {
        if (level == LIBBPF_DEBUG) return 0;
        // The verifier log comes as one large message: size it first.
        va_list copy;
        va_copy(copy, args);
        int n = vsnprintf(nullptr, 0, format, copy);
        va_end(copy);
        if (n <= 0) return 0;
        std::string text(static_cast<std::size_t>(n) + 1, '\0');
        vsnprintf(text.data(), text.size(), format, args);
        text.resize(static_cast<std::size_t>(n));
        auto& self = instance();
        std::lock_guard lock(self.mutex_);
        std::size_t pos = 0;
        while (pos < text.size()) {
            auto end = text.find('\n', pos);
            if (end == std::string::npos) end = text.size();
            if (end > pos) self.lines_.push_back(text.substr(pos, end - pos));
            pos = end + 1;
        }
        while (self.lines_.size() > 400) self.lines_.pop_front();
        return 0;
    }
    std::mutex mutex_;
    std::deque<std::string> lines_;
};

std::string joined_tail(std::size_t n) {
    std::string out;
    for (const auto& line : LibbpfLog::instance().tail(n)) {
        out += "\n  ";
        out += line;
    }
    return out;
}

std::string hook_name(const struct ::bpf_program* prog) {
    return fmt::format("{} ({})", bpf_program__section_name(prog), bpf_program__name(prog));
}

}  // namespace

bool exit_tracepoint_has_group_dead() {
    struct btf* vmlinux = btf__load_vmlinux_btf();
    if (!vmlinux) return false;
    bool found = false;
    int id = btf__find_by_name_kind(vmlinux, "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF);
    if (id > 0) {
        // typedef -> pointer -> prototype (void *ctx, task, bool group_dead)
        const struct btf_type* t = btf__type_by_id(vmlinux, static_cast<__u32>(id));
        if (t) t = btf__type_by_id(vmlinux, t->type);
        if (t && btf_is_ptr(t)) t = btf__type_by_id(vmlinux, t->type);
        found = t && btf_is_func_proto(t) && btf_vlen(t) >= 3;
    }
    btf__free(vmlinux);
    return found;
}

std::unique_ptr<BpfCollector> BpfCollector::start(const CollectorOptions& options,
                                                  CollectorError& error) {
    auto& log = LibbpfLog::instance();
    log.install();
    log.clear();

    // Every pid is reported as the loader's own pid namespace numbers it.
    std::string ns_error;
    auto pid_namespace = find_own_pid_namespace(ns_error);
    if (!pid_namespace) {
        error = {kExitPidNamespace, ns_error};
        return nullptr;
    }

    struct ::hupwatch_bpf* skel = hupwatch_bpf__open();
    if (!skel) {
        error = {kExitFailure,
                 fmt::format("hupwatch: cannot open BPF object: {}", strerror(errno))};
        return nullptr;
    }
    skel->rodata->signal_mask = options.signal_mask;
    skel->rodata->argv_max = std::min<std::uint32_t>(options.argv_max, HW_ARGS_MAX);
    skel->rodata->pidns_level = pid_namespace->level;
    skel->rodata->pidns_inum = pid_namespace->inode;
    // Not loaded at all unless asked: loading is where its cost would start.
    if (!options.syscall_results) bpf_program__set_autoload(skel->progs.handle_sys_exit, false);
    // One exit program: the exact group_dead test where the kernel has it.
    const bool group_dead = !options.exit_by_live_count && exit_tracepoint_has_group_dead();
    bpf_program__set_autoload(group_dead ? skel->progs.handle_exit_live : skel->progs.handle_exit,
                              false);
    // Run on demand over one process (HungUpTerminalScan), never attached.
    bpf_program__set_autoattach(skel->progs.find_hung_up_ttys, false);

    if (int err = hupwatch_bpf__load(skel); err != 0) {
        error = {kExitVerifierRejected,
                 fmt::format("hupwatch: the kernel rejected the BPF programs ({}); verifier's "
                             "last lines:{}",
                             strerror(-err), joined_tail(12))};
        hupwatch_bpf__destroy(skel);
        return nullptr;
    }
    if (int err = hupwatch_bpf__attach(skel); err != 0) {
        error = {kExitAttachFailed, fmt::format("hupwatch: cannot attach to tracepoints ({}):{}",
                                                strerror(-err), joined_tail(4))};
        hupwatch_bpf__destroy(skel);
        return nullptr;
    }
    // Per-program run counts and times for the metrics, only when asked
    // (--bpf-stats): BPF_ENABLE_STATS costs two clock reads per run of every
    // BPF program on the host. Without it the counters stay at 0.
    int stats_fd = options.program_stats ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
    std::unique_ptr<BpfCollector> collector(
        new BpfCollector(skel, stats_fd < 0 ? -1 : stats_fd, *pid_namespace));
    struct ::bpf_program* prog;
    bpf_object__for_each_program(prog, skel->obj) {
        if (bpf_program__autoload(prog) && bpf_program__autoattach(prog))
            collector->hooks_.push_back(hook_name(prog));
    }
    return collector;
}

std::string BpfCollector::syscall_results_hook() const {
    return hook_name(skel_->progs.handle_sys_exit);
}

std::string BpfCollector::iterator_hook() const {
    return hook_name(skel_->progs.find_hung_up_ttys);
}

struct ::bpf_program* BpfCollector::hung_up_iterator() const {
    return skel_->progs.find_hung_up_ttys;
}

HungUpIteratorGlobals BpfCollector::hung_up_iterator_globals() const {
    return {&skel_->data->calibration_fd, &skel_->bss->hung_up_write_iter};
}

BpfCollector::~BpfCollector() {
    hupwatch_bpf__destroy(skel_);
    if (stats_fd_ >= 0) close(stats_fd_);
}

std::vector<BpfProgramStats> BpfCollector::read_program_stats() const {
    std::vector<BpfProgramStats> out;
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, skel_->obj) {
        int fd = bpf_program__fd(prog);
        if (fd < 0) continue;  // not loaded (--no-syscall-results)
        bpf_prog_info info{};
        std::uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) continue;
        out.push_back({bpf_program__name(prog), info.run_cnt, info.run_time_ns});
    }
    return out;
}

int BpfCollector::ring_buffer_fd() const {
    return bpf_map__fd(skel_->maps.events);
}

BpfStats BpfCollector::read_stats() const {
    BpfStats totals{};
    int ncpus = libbpf_num_possible_cpus();
    if (ncpus <= 0) return totals;
    std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpus));
    int fd = bpf_map__fd(skel_->maps.stats);
    for (std::uint32_t key = 0; key < HW_STAT_MAX; ++key) {
        if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) continue;
        for (auto v : per_cpu) totals[key] += v;
    }
    return totals;
}

}  // namespace hupwatch
