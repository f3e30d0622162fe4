// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process lifecycle: fork of a new process, exec, exit of a whole thread
 * group, and the reparenting of its children. */
#include "common.bpf.h"
#include "orphan_walk.bpf.h"

/* Never used: makes clang emit BTF for every shared event struct, so that
 * tests/unit/layout_test.cpp can compare layouts with the C++ side. */
struct hw_all_events {
    struct hw_header header;
    struct hw_process process;
    struct hw_fork_event fork;
    struct hw_exec_event exec;
    struct hw_exit_event exit;
    struct hw_signal_event signal;
    struct hw_reparent_event reparent;
    struct hw_session_event session;
    struct hw_output_lost_event output_lost;
    struct hw_hung_up_fd hung_up_fd;
};
const struct hw_all_events *hw_layout_anchor __attribute__((unused));

/* The daemon's pid namespace (common.bpf.h); 0 and 0: the initial one. */
const volatile __u32 pidns_level = 0;
const volatile __u32 pidns_inum = 0;

/* Bytes of argv to capture; set through rodata before load (<= HW_ARGS_MAX). */
const volatile __u32 argv_max = HW_ARGS_MAX;

static __always_inline void report_fork(struct task_struct *child, const bool in_ns) {
    if (hidden_from_daemon(child, in_ns)) return;
    /* Stamped with the child's start time: copy_process() read the boot
     * clock a few microseconds ago (p->start_boottime), and a helper call
     * costs tens of ns on these CPUs (each return through the kernel's
     * SRSO "safe RET" thunk), on the path of every fork. */
    struct hw_fork_event *e =
        reserve_event_at(HW_EV_FORK, sizeof(*e), task_start_boottime_btf(child));
    if (!e) return;
    fill_process(&e->child, child, in_ns);
    e->parent_start_ns = task_start_boottime_btf(child->real_parent->group_leader);
    submit_event(e);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child) {
    if (bench_paused()) return 0;
    /* copy_process() fires this for threads too: those are only counted. */
    if (child->pid != child->tgid) {
        count_stat(HW_STAT_THREADS_CREATED);
        return 0;
    }
    HW_BY_PIDNS(report_fork(child, false), report_fork(child, true));
    return 0;
}

static __always_inline void report_exec(struct task_struct *task, pid_t old_pid,
                                        struct linux_binprm *bprm, const bool in_ns) {
    if (hidden_from_daemon(task, in_ns)) return;
    struct hw_exec_event *e = reserve_event(HW_EV_EXEC, sizeof(*e));
    if (!e) return;
    fill_process(&e->proc, task, in_ns);
    /* exec_binprm() passes current->pid from before de_thread(): an initial
     * namespace number. When a thread other than the leader exec'd, its old
     * struct pid went to the released leader (exchange_tids()): unknown. */
    if (!in_ns)
        e->old_pid = old_pid;
    else
        e->old_pid = (__u32)old_pid == (__u32)task->pid ? e->proc.tid : 0;

    const char *filename = bprm->filename;
    long n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);
    e->filename_len = n > 0 ? n - 1 : 0;

    /* By this tracepoint the new image's argv sits in the new mm, between
     * arg_start and arg_end (set up by create_elf_tables / setup_arg_pages). */
    struct mm_struct *mm = task->mm; /* never null after exec; the verifier asks */
    __u64 arg_start = mm ? mm->arg_start : 0;
    __u64 arg_end = mm ? mm->arg_end : 0;
    __u64 len = arg_end > arg_start ? arg_end - arg_start : 0;
    __u32 limit = argv_max < HW_ARGS_MAX ? argv_max : HW_ARGS_MAX;
    e->args_truncated = len > limit;
    if (len > limit) len = limit;
    len &= (HW_ARGS_MAX - 1) | HW_ARGS_MAX; /* bound for the verifier */
    if (len > HW_ARGS_MAX) len = HW_ARGS_MAX;
    if (len && bpf_probe_read_user(e->args, len, (const void *)arg_start) != 0) len = 0;
    e->args_len = len;
    submit_event(e);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
    if (bench_paused()) return 0;
    HW_BY_PIDNS(report_exec(task, old_pid, bprm, false), report_exec(task, old_pid, bprm, true));
    return 0;
}

/* The exit of a whole thread group, once: the orphan walk, then the event. */
static __always_inline void report_exit(struct task_struct *task, const bool in_ns) {
    /* Its children may be visible when it is not (a container's init, whose
     * parent is on the host): the walk checks each one. */
    struct orphan_counts orphans = report_orphans(task, in_ns);
    if (hidden_from_daemon(task, in_ns)) return;
    struct hw_exit_event *e = reserve_event(HW_EV_EXIT, sizeof(*e));
    if (!e) return;
    fill_process(&e->proc, task, in_ns);
    e->exit_code = task->exit_code;
    e->orphans = orphans.reported;
    e->orphans_overflow = orphans.overflow;
    e->_pad0 = 0;
    /* The last thread's own times are folded into signal only at release. */
    e->utime_ns = task->signal->utime + task->utime;
    e->stime_ns = task->signal->stime + task->stime;
    submit_event(e);
}

/* do_exit() computes group_dead = atomic_dec_and_test(&signal->live): true
 * for exactly one thread of the group, which passes it to this tracepoint
 * (since v6.16). Userspace loads this program where the tracepoint has the
 * argument, handle_exit_live otherwise. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task, bool group_dead) {
    if (bench_paused() || !group_dead) return 0; /* !group_dead: a thread, not the last */
    HW_BY_PIDNS(report_exit(task, false), report_exit(task, true));
    return 0;
}

/* Before v6.16 the tracepoint has no group_dead: signal->live is zero once
 * the last thread has decremented it, but several dying threads may all see
 * zero (each decremented before the tracepoint), so a SIGKILLed
 * multi-threaded process can be reported twice here. Userspace drops the
 * second exit of one (pid, start_ns). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit_live, struct task_struct *task) {
    if (bench_paused() || task->signal->live.counter > 0) return 0;
    HW_BY_PIDNS(report_exit(task, false), report_exit(task, true));
    return 0;
}
