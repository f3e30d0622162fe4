/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The orphan walk: when a thread group dies, one reparent event per live
 * child, with the new parent the kernel will choose (kernel/exit.c:
 * exit_notify() -> forget_original_parent() -> find_new_reaper()). Runs in
 * sched_process_exit, before exit_notify() moves the children.
 *
 * Pointers that come from a tracepoint argument are BTF pointers and read
 * with plain loads; pointers found by walking a list or an ancestor chain
 * inside bpf_loop() are not known to the verifier as BTF, and are read with
 * BPF_CORE_READ (bpf_probe_read_kernel).
 */
#ifndef HUPWATCH_ORPHAN_WALK_BPF_H
#define HUPWATCH_ORPHAN_WALK_BPF_H

#include "common.bpf.h"

/* include/linux/sched.h: set by exit_signals() as a thread starts to exit. */
#define HW_PF_EXITING 0x00000004

/* The pid namespace's init, as task_active_pid_ns(task)->child_reaper. The
 * numbers[] index is variable: a CO-RE read, not a plain load. */
static __always_inline struct task_struct *ns_child_reaper(struct task_struct *task) {
    struct pid *pid = task->thread_pid;
    unsigned int level = pid->level;
    struct pid_namespace *ns = BPF_CORE_READ(pid, numbers[level & 31].ns);
    return BPF_CORE_READ(ns, child_reaper);
}

/* find_alive_thread(): does any thread of `reaper`'s group still run
 * (PF_EXITING clear)? The leader is checked first, since it usually does;
 * then up to HW_MAX_REAPER_THREADS threads of signal->thread_head. A longer
 * list whose seen part is all exiting counts as live, and is counted. */
static __always_inline bool has_alive_thread(struct task_struct *reaper) {
    if (!(BPF_CORE_READ(reaper, flags) & HW_PF_EXITING)) return true;
    struct signal_struct *signal = BPF_CORE_READ(reaper, signal);
    struct list_head *head = &signal->thread_head;
    struct list_head *pos = BPF_CORE_READ(signal, thread_head.next);
    for (int i = 0; i < HW_MAX_REAPER_THREADS; i++) {
        if (!pos || pos == head) return false;
        struct task_struct *t = container_of(pos, struct task_struct, thread_node);
        if (!(BPF_CORE_READ(t, flags) & HW_PF_EXITING)) return true;
        pos = BPF_CORE_READ(pos, next);
    }
    if (!pos || pos == head) return false;
    count_stat(HW_STAT_REAPER_THREADS_OVERFLOW);
    return true;
}

struct reaper_search {
    struct task_struct *candidate;
    struct task_struct *child_reaper;
    struct task_struct *found;
};

static long visit_ancestor(__u32 index, struct reaper_search *s) {
    struct task_struct *reaper = s->candidate;
    if (!reaper || reaper == s->child_reaper) {
        s->found = s->child_reaper;
        return 1;
    }
    struct signal_struct *rs = BPF_CORE_READ(reaper, signal);
    if (BPF_CORE_READ_BITFIELD_PROBED(rs, is_child_subreaper) && has_alive_thread(reaper)) {
        s->found = reaper;
        return 1;
    }
    s->candidate = BPF_CORE_READ(reaper, real_parent);
    return 0;
}

/* The new parent of `father`'s children, in find_new_reaper()'s order for a
 * dead thread group: the nearest ancestor that is a child subreaper with a
 * live thread, else the namespace's init. */
static __always_inline struct task_struct *new_reaper(struct task_struct *father,
                                                      struct task_struct *child_reaper,
                                                      __u32 *kind) {
    *kind = HW_REAPER_INIT;
    if (!BPF_CORE_READ_BITFIELD(father->signal, has_child_subreaper)) return child_reaper;

    struct reaper_search search = {
        .candidate = father->real_parent,
        .child_reaper = child_reaper,
    };
    bpf_loop(HW_MAX_REAPER_DEPTH, visit_ancestor, &search, 0);
    if (!search.found) {
        count_stat(HW_STAT_REAPER_DEPTH_OVERFLOW);
        return child_reaper;
    }
    if (search.found != child_reaper) *kind = HW_REAPER_SUBREAPER;
    return search.found;
}

/* State of one walk over an exiting process's children, for bpf_loop(). */
struct orphan_walk {
    struct list_head *head;
    struct list_head *pos;
    __u64 old_start;
    __u64 new_start;
    __u32 old_ppid;
    __u32 new_ppid;
    __u32 kind;
    __u32 visited;  /* live children seen, the bound of those reported */
    __u32 reported; /* reparent events actually reserved and submitted */
    __u32 overflow;
};

/* The walk's state lives in a map value, not on the stack: counters on the
 * stack are exact to the verifier, so each bpf_loop() iteration would look
 * like a new state and the callback would never converge. Per-CPU is safe:
 * tracing programs do not nest on one CPU. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct orphan_walk);
} orphan_walks SEC(".maps");

/* bpf_loop() takes a stack pointer as context: a holder of the map value. */
struct orphan_walk_ref {
    struct orphan_walk *walk;
};

/* One child per call; bpf_loop() lets the verifier check this body once
 * instead of once per unrolled iteration. */
static long visit_child(__u32 index, struct orphan_walk_ref *ref) {
    struct orphan_walk *w = ref->walk;
    if (!w) return 1;
    struct list_head *pos = w->pos;
    if (!pos || pos == w->head) return 1; /* end of the list */
    w->pos = BPF_CORE_READ(pos, next);
    struct task_struct *child = container_of(pos, struct task_struct, sibling);
    if (BPF_CORE_READ(child, exit_state)) return 0; /* a zombie: its story already ended */
    if (w->visited >= HW_MAX_ORPHANS) {
        w->overflow++;
        return 0;
    }
    w->visited++;
    /* A callback, not inlined: the namespace is read here (and pruned). */
    const bool in_ns = pidns_level != 0;
    if (hidden_from_daemon_probed(child, in_ns)) return 0;
    struct hw_reparent_event *r = reserve_event(HW_EV_REPARENT, sizeof(*r));
    if (!r) return 0; /* counted as lost by reserve_event(), not as reported */
    w->reported++;
    fill_process_probed(&r->child, child, in_ns);
    r->old_ppid = w->old_ppid;
    r->old_parent_start_ns = w->old_start;
    r->new_ppid = w->new_ppid;
    r->new_parent_start_ns = w->new_start;
    r->reaper = w->kind;
    r->_pad0 = 0;
    submit_event(r);
    return 0;
}

struct orphan_counts {
    __u32 reported;
    __u32 overflow;
};

/* One reparent event per live child of the exiting `task` (a BTF pointer).
 * Most exiting processes have no children: they leave before the map lookup
 * and the reaper search. */
static __always_inline struct orphan_counts report_orphans(struct task_struct *task,
                                                           const bool in_ns) {
    struct orphan_counts counts = {};
    if (task->children.next == &task->children) return counts;
    struct task_struct *child_reaper = ns_child_reaper(task);
    if (task == child_reaper) return counts;
    __u32 zero = 0;
    struct orphan_walk *walk = bpf_map_lookup_elem(&orphan_walks, &zero);
    if (!walk) return counts;
    __builtin_memset(walk, 0, sizeof(*walk));
    __u32 kind = HW_REAPER_INIT;
    struct task_struct *reaper = new_reaper(task, child_reaper, &kind);
    walk->kind = kind;
    /* Children are still on task->children: exit_notify() ->
     * forget_original_parent() moves them after this tracepoint. */
    walk->head = &task->children;
    walk->pos = task->children.next;
    walk->old_ppid = tgid_nr_of_btf(task, in_ns);
    walk->old_start = task_start_boottime_btf(task->group_leader);
    walk->new_ppid = tgid_nr_of(reaper, in_ns);
    walk->new_start = task_start_boottime(BPF_CORE_READ(reaper, group_leader));
    /* Children beyond HW_MAX_ORPHANS are counted up to this bound. */
    struct orphan_walk_ref ref = {.walk = walk};
    bpf_loop(HW_MAX_ORPHANS + HW_MAX_ORPHANS_COUNTED, visit_child, &ref, 0);
    if (walk->overflow) count_stat_by(HW_STAT_ORPHANS_OVERFLOW, walk->overflow);
    counts.reported = walk->reported;
    counts.overflow = walk->overflow;
    return counts;
}

#endif /* HUPWATCH_ORPHAN_WALK_BPF_H */
