// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Syscall results no tracepoint reports: setsid() and setpgid(), and writes
 * failing with EIO (a hung-up terminal: tty_write() on a hung-up tty returns
 * -EIO). One program on raw_syscalls:sys_exit; every other syscall leaves
 * after two compares. */
#include "common.bpf.h"

#if defined(__TARGET_ARCH_x86)
#define HW_NR_SETPGID 109
#define HW_NR_SETSID 112
#define HW_NR_WRITE 1
#define HW_NR_WRITEV 20
/* regs is a BTF pointer here: a plain load, not a helper call, because this
 * runs on every syscall of the host. */
#define HW_SYSCALL_NR(regs) ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define HW_NR_SETPGID 154
#define HW_NR_SETSID 157
#define HW_NR_WRITE 64
#define HW_NR_WRITEV 66
#define HW_SYSCALL_NR(regs) BPF_CORE_READ((struct user_pt_regs *)(regs), regs[8])
#else
#error "hupwatch: syscall numbers for this architecture are missing"
#endif

#define HW_EIO 5
#define HW_NS_PER_SEC 1000000000ULL

struct eio_count {
    __u64 writes;
    __u64 last_report_ns;
};

/* A process is (tgid, start time): a reused pid starts its count afresh. */
struct eio_key {
    __u32 tgid;
    __u32 _pad0;
    __u64 start_ns;
};

/* EIO writes per process; LRU, bounded, so that exited processes age out. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, struct eio_key);
    __type(value, struct eio_count);
} eio_counts SEC(".maps");

static __always_inline void on_write_eio(struct pt_regs *regs, const bool in_ns) {
    struct task_struct *task = bpf_get_current_task_btf();
    if (hidden_from_daemon(task, in_ns)) return;
    struct eio_key key = {
        .tgid = task->tgid,
        ._pad0 = 0,
        .start_ns = task_start_boottime_btf(task->group_leader),
    };
    __u64 now = bpf_ktime_get_boot_ns();
    struct eio_count *count = bpf_map_lookup_elem(&eio_counts, &key);
    if (!count) {
        struct eio_count first = {.writes = 0, .last_report_ns = 0};
        bpf_map_update_elem(&eio_counts, &key, &first, BPF_NOEXIST);
        count = bpf_map_lookup_elem(&eio_counts, &key);
        if (!count) return;
    }
    __u64 writes = __sync_fetch_and_add(&count->writes, 1) + 1;
    /* A process looping on a dead terminal must not flood the ring buffer. */
    if (writes > 1 && now - count->last_report_ns < HW_NS_PER_SEC) return;
    count->last_report_ns = now;

    struct hw_output_lost_event *e = reserve_event(HW_EV_OUTPUT_LOST, sizeof(*e));
    if (!e) return;
    fill_process(&e->proc, task, in_ns);
    e->eio_writes = writes;
    e->fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
    e->_pad0 = 0;
    submit_event(e);
}

static __always_inline void report_session(struct pt_regs *regs, long ret, long nr,
                                           const bool in_ns) {
    struct task_struct *task = bpf_get_current_task_btf();
    if (hidden_from_daemon(task, in_ns)) return;

    struct hw_session_event *e = reserve_event(HW_EV_SESSION, sizeof(*e));
    if (!e) return;
    fill_process(&e->proc, task, in_ns);
    e->ret = ret;
    e->_pad0 = 0;
    if (nr == HW_NR_SETSID) {
        e->call = HW_CALL_SETSID;
        e->arg_pid = 0;
        e->arg_pgid = 0;
    } else {
        /* The saved user registers still hold the arguments at exit. */
        e->call = HW_CALL_SETPGID;
        e->arg_pid = PT_REGS_PARM1_CORE_SYSCALL(regs);
        e->arg_pgid = PT_REGS_PARM2_CORE_SYSCALL(regs);
    }
    submit_event(e);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret) {
    if (bench_paused()) return 0;
    if (ret == -HW_EIO) {
        long nr = HW_SYSCALL_NR(regs);
        if (nr == HW_NR_WRITE || nr == HW_NR_WRITEV)
            HW_BY_PIDNS(on_write_eio(regs, false), on_write_eio(regs, true));
        return 0;
    }
    long nr = HW_SYSCALL_NR(regs);
    if (nr != HW_NR_SETSID && nr != HW_NR_SETPGID) return 0;
    HW_BY_PIDNS(report_session(regs, ret, nr, false), report_session(regs, ret, nr, true));
    return 0;
}
