/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Maps and helpers shared by every hupwatch BPF program. Each .bpf.c includes
 * this; the maps are __weak so that `bpftool gen object` links the objects
 * into one with a single ring buffer and a single stats map.
 */
#ifndef HUPWATCH_COMMON_BPF_H
#define HUPWATCH_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hupwatch_events.h"
#include "core_fixes.bpf.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 * 1024 * 1024);
} events SEC(".maps") __weak;

/* Per-CPU counters indexed by enum hw_stat (and by event type for losses). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, HW_STAT_MAX);
    __type(key, __u32);
    __type(value, __u64);
} stats SEC(".maps") __weak;

/* Never wake the reader: it drains the ring on its own timer (every 100 ms,
 * kMonitorPollMs), which bounds how long a record waits. A wakeup
 * (irq_work, an IPI, the reader's thread woken on the other CPU) made it
 * chase the writers through every storm: with one per 64 kB per CPU,
 * bench/windowed.sh measured hupwatch's work on the spawn storm at 4.5-5.1 %
 * above the floor, against 1.7-2.7 % without (3 paired runs). The ring
 * (16 MB) holds 100 ms of anything the reader can keep up with; beyond, the
 * reserve fails and is counted (reserve_event). */
static __always_inline void submit_event(void *event) {
    bpf_ringbuf_submit(event, BPF_RB_NO_WAKEUP);
}

static __always_inline void count_stat(__u32 index) {
    __u64 *value = bpf_map_lookup_elem(&stats, &index);
    if (value) *value += 1; /* per-CPU slot: no atomics needed */
}

/* A switch for the benchmark only: bench/windowed_spawn sets key 0 to 1 and
 * back every 50 ms, so that hupwatch's work (everything but the hooks'
 * own entry, which stays attached) is measured on and off in alternating
 * windows; this VM's speed drifts too much from one second to the next for
 * whole runs to resolve 1 %. Nothing else writes it. Each run it turns away
 * is counted (HW_STAT_BENCH_PAUSED, hupwatch_bench_paused_hooks_total). The
 * lookup of an array is inlined by the verifier: two loads. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} bench_pause SEC(".maps") __weak;

static __always_inline bool bench_paused(void) {
    __u32 zero = 0;
    __u32 *paused = bpf_map_lookup_elem(&bench_pause, &zero);
    if (!paused || !*paused) return false;
    count_stat(HW_STAT_BENCH_PAUSED);
    return true;
}

static __always_inline void count_stat_by(__u32 index, __u64 by) {
    __u64 *value = bpf_map_lookup_elem(&stats, &index);
    if (value) *value += by;
}

/* Reserve a record of `type` stamped `ktime_ns` (boot clock); a failed
 * reserve is counted, never silent. */
static __always_inline void *reserve_event_at(__u32 type, __u32 size, __u64 ktime_ns) {
    struct hw_header *hdr = bpf_ringbuf_reserve(&events, size, 0);
    if (!hdr) {
        count_stat(type);
        return NULL;
    }
    hdr->type = type;
    hdr->size = size;
    hdr->ktime_ns = ktime_ns;
    return hdr;
}

/* The same, stamped now. */
static __always_inline void *reserve_event(__u32 type, __u32 size) {
    return reserve_event_at(type, size, bpf_ktime_get_boot_ns());
}

/* The daemon's own pid namespace, found by the loader (pid_namespace.bpf.c)
 * and set through rodata before load; defined in process.bpf.c. Every pid
 * is reported as this namespace numbers it. Level 0 is the initial one.
 *
 * The helpers below take `in_ns` (true: the daemon runs outside the initial
 * namespace), a compile-time constant at every call: each handler reads
 * pidns_level once and calls its body twice, HW_BY_PIDNS(body(..., false),
 * body(..., true)). clang folds each copy; the verifier knows the frozen
 * rodata and drops the copy that cannot run. The host's daemon runs the
 * code it ran before translation existed, plus that one load. */
extern const volatile __u32 pidns_level;
extern const volatile __u32 pidns_inum;

#define HW_BY_PIDNS(host, in_ns) (pidns_level == 0 ? (host) : (in_ns))

/* pid_nr_ns() (kernel/pid.c) for the daemon's namespace: the number of `pid`
 * there, or 0 when the process is not visible from it (a host process seen
 * from a container). A pid has numbers[] for its own namespace and every
 * ancestor (struct upid, include/linux/pid.h); the index is variable, so
 * these are CO-RE reads. */
static __always_inline __u32 pid_nr_of(struct pid *pid, const bool in_ns) {
    if (!pid) return 0;
    if (!in_ns) return BPF_CORE_READ(pid, numbers[0].nr);
    __u32 level = pidns_level;
    if (level > BPF_CORE_READ(pid, level)) return 0;
    struct pid_namespace *ns = BPF_CORE_READ(pid, numbers[level].ns);
    if (BPF_CORE_READ(ns, ns.inum) != pidns_inum) return 0;
    return BPF_CORE_READ(pid, numbers[level].nr);
}

/* The thread group's number (task_tgid_nr_ns()), and the thread's
 * (task_pid_nr_ns()), in the daemon's namespace; `task` may be a BTF
 * pointer or not. In the initial namespace task->tgid and task->pid are
 * those numbers already. */
static __always_inline __u32 tgid_nr_of(struct task_struct *task, const bool in_ns) {
    if (!in_ns) return BPF_CORE_READ(task, tgid);
    return pid_nr_of(BPF_CORE_READ(task, signal, pids[PIDTYPE_TGID]), in_ns);
}

static __always_inline __u32 tid_nr_of(struct task_struct *task, const bool in_ns) {
    if (!in_ns) return BPF_CORE_READ(task, pid);
    return pid_nr_of(BPF_CORE_READ(task, thread_pid), in_ns);
}

/* The same for a BTF pointer, as plain loads in the initial namespace. */
static __always_inline __u32 tgid_nr_of_btf(struct task_struct *task, const bool in_ns) {
    if (!in_ns) return task->tgid;
    return pid_nr_of(task->signal->pids[PIDTYPE_TGID], in_ns);
}

/* Is `task`'s process outside the daemon's namespace? Its events are then
 * dropped before a ring-buffer reserve, and counted: a container's daemon
 * must not report host processes under numbers that mean nothing there.
 * Never, in the initial namespace: every process has a number there. */
static __always_inline bool hidden_from_daemon(struct task_struct *task, const bool in_ns) {
    if (!in_ns) return false;
    if (pid_nr_of(task->signal->pids[PIDTYPE_TGID], in_ns)) return false;
    count_stat(HW_STAT_PID_NS_HIDDEN);
    return true;
}

/* The same for a task pointer found by walking a kernel list. */
static __always_inline bool hidden_from_daemon_probed(struct task_struct *task, const bool in_ns) {
    if (!in_ns) return false;
    if (tgid_nr_of(task, in_ns)) return false;
    count_stat(HW_STAT_PID_NS_HIDDEN);
    return true;
}

static __always_inline __u32 tty_dev_of(struct tty_struct *tty) {
    if (!tty) return 0;
    __u32 major = BPF_CORE_READ(tty, driver, major);
    __u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
    return (major << 20) | minor; /* MKDEV() */
}

/* Fill the identity and context of `task`'s process (its thread group).
 * `task` must be a BTF pointer (a tp_btf argument, bpf_get_current_task_btf()):
 * fields are then plain loads the verifier guards against faults, several
 * times cheaper than a bpf_probe_read_kernel() call each, and this runs on
 * every fork, exit and monitored signal. */
static __always_inline void fill_process(struct hw_process *p, struct task_struct *task,
                                         const bool in_ns) {
    struct task_struct *leader = task->group_leader;
    struct signal_struct *signal = task->signal;
    struct pid *pgrp = signal->pids[PIDTYPE_PGID];
    struct pid *session = signal->pids[PIDTYPE_SID];
    struct tty_struct *tty = signal->tty;

    p->start_ns = task_start_boottime_btf(leader);
    p->cgroup_id = task->cgroups->dfl_cgrp->kn->id;
    if (!in_ns) {
        /* numbers[0]: the initial namespace, plain loads. */
        p->pid = task->tgid;
        p->tid = task->pid;
        p->ppid = task->real_parent->tgid;
        p->pgid = pgrp ? pgrp->numbers[0].nr : 0;
        p->sid = session ? session->numbers[0].nr : 0;
    } else {
        /* A parent outside the namespace reads 0, as getppid() does there. */
        p->pid = pid_nr_of(signal->pids[PIDTYPE_TGID], in_ns);
        p->tid = pid_nr_of(task->thread_pid, in_ns);
        p->ppid = pid_nr_of(task->real_parent->signal->pids[PIDTYPE_TGID], in_ns);
        p->pgid = pid_nr_of(pgrp, in_ns);
        p->sid = pid_nr_of(session, in_ns);
    }
    p->uid = task->real_cred->uid.val;
    p->loginuid = task_loginuid_btf(task);
    p->audit_session = task_audit_session_btf(task);
    p->tty_dev =
        tty ? ((__u32)tty->driver->major << 20) | (__u32)(tty->driver->minor_start + tty->index)
            : 0;
    p->_pad0 = 0;
    /* Two plain loads instead of a helper call: the kernel keeps comm
     * NUL-terminated within its 16 bytes (__set_task_comm uses strscpy). */
    __builtin_memcpy(&p->comm, leader->comm, sizeof(p->comm));
}

/* The same for a task pointer found by walking a kernel list, which the
 * verifier does not know as BTF: every field through bpf_probe_read_kernel. */
static __always_inline void fill_process_probed(struct hw_process *p, struct task_struct *task,
                                                const bool in_ns) {
    struct task_struct *leader = BPF_CORE_READ(task, group_leader);
    struct signal_struct *signal = BPF_CORE_READ(task, signal);

    p->start_ns = task_start_boottime(leader);
    p->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
    p->pid = tgid_nr_of(task, in_ns);
    p->tid = tid_nr_of(task, in_ns);
    p->ppid = tgid_nr_of(BPF_CORE_READ(task, real_parent), in_ns);
    p->pgid = pid_nr_of(BPF_CORE_READ(signal, pids[PIDTYPE_PGID]), in_ns);
    p->sid = pid_nr_of(BPF_CORE_READ(signal, pids[PIDTYPE_SID]), in_ns);
    p->uid = BPF_CORE_READ(task, real_cred, uid.val);
    p->loginuid = task_loginuid(task);
    p->audit_session = task_audit_session(task);
    p->tty_dev = tty_dev_of(BPF_CORE_READ(signal, tty));
    p->_pad0 = 0;
    BPF_CORE_READ_STR_INTO(&p->comm, leader, comm);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#endif /* HUPWATCH_COMMON_BPF_H */
