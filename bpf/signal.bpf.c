// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Signals of the monitored set, at generation: who sent what to whom, and
 * what the kernel did with it. */
#include "common.bpf.h"

/* Bit n set: signal n is monitored. Set through rodata before load; the
 * default is HW_DEFAULT_SIGNAL_MASK (hupwatch_events.h). */
const volatile __u64 signal_mask = HW_DEFAULT_SIGNAL_MASK;

#define HW_SEND_SIG_PRIV ((struct kernel_siginfo *)1)
#define HW_SIG_DFL 0
#define HW_SIG_IGN 1
#define HW_SI_USER 0
#define HW_SI_KERNEL 0x80

/* The target's disposition of `sig` now, as get_signal() will find it: a
 * handler set by the parent is gone after exec (flush_signal_handlers()),
 * so this is the process's own, not its parent's. The index is variable:
 * a CO-RE read, not a plain load. */
static __always_inline __u32 disposition_of(struct task_struct *task, int sig) {
    struct sighand_struct *sighand = task->sighand;
    if (!sighand) return HW_DISP_DEFAULT;
    __u64 handler = 0;
    bpf_core_read(&handler, sizeof(handler), &sighand->action[(sig - 1) & 63].sa.sa_handler);
    if (handler == HW_SIG_DFL) return HW_DISP_DEFAULT;
    if (handler == HW_SIG_IGN) return HW_DISP_IGNORED;
    return HW_DISP_HANDLED;
}

/* The event for one generated signal, `in_ns` as in common.bpf.h. */
static __always_inline void report_signal(unsigned long long *ctx, int sig,
                                          struct kernel_siginfo *info, struct task_struct *task,
                                          int group, int result, const bool in_ns) {
    if (hidden_from_daemon(task, in_ns)) return;

    struct hw_signal_event *e = reserve_event(HW_EV_SIGNAL, sizeof(*e));
    if (!e) return;
    fill_process(&e->target, task, in_ns);

    __s32 code = 0;
    __u32 origin;
    /* The verifier takes a tp_btf pointer argument for non-NULL and drops an
     * `info == NULL` test as dead code: read the raw argument as a number. */
    __u64 info_raw = 1;
    bpf_probe_read_kernel(&info_raw, sizeof(info_raw), &ctx[1]);
    e->no_info = 0;
    if (info == HW_SEND_SIG_PRIV) {
        origin = HW_ORIGIN_KERNEL;
        code = HW_SI_KERNEL;
    } else if (info_raw == 0) { /* SEND_SIG_NOINFO: send_sig(sig, task, 0) */
        origin = HW_ORIGIN_USER;
        e->no_info = 1;
    } else {
        code = BPF_CORE_READ(info, si_code);
        /* SI_FROMUSER(): si_code <= 0 means a process asked (kill, tkill, sigqueue). */
        origin = code <= HW_SI_USER ? HW_ORIGIN_USER : HW_ORIGIN_KERNEL;
    }
    e->si_code = code;
    e->origin = origin;
    e->sig = sig;
    e->result = result;
    e->group = group;
    e->disposition = disposition_of(task, sig);

    struct task_struct *current = bpf_get_current_task_btf();
    e->sender_pid = tgid_nr_of_btf(current, in_ns); /* 0: a sender outside the namespace */
    e->sender_start_ns = task_start_boottime_btf(current->group_leader);
    e->sender_uid = current->real_cred->uid.val;
    e->sender_loginuid = task_loginuid_btf(current);
    bpf_get_current_comm(&e->sender_comm, sizeof(e->sender_comm));
    submit_event(e);
}

/* __send_signal_locked() fires signal_generate for every generated signal,
 * with the result it reached; `info` is the caller's: SEND_SIG_PRIV for
 * kernel-internal senders such as __tty_hangup(). */
SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
             int group, int result) {
    if (bench_paused() || sig <= 0 || sig >= 64 || !(signal_mask & (1ULL << sig))) return 0;
    HW_BY_PIDNS(report_signal(ctx, sig, info, task, group, result, false),
                report_signal(ctx, sig, info, task, group, result, true));
    return 0;
}
