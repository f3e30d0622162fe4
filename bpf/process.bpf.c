// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process lifecycle: fork of a new process, exec, exit of a whole thread
 * group, and the reparenting of its children. */
#include "common.bpf.h"

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
};
const struct hw_all_events *hw_layout_anchor __attribute__((unused));

const volatile __u64 wakeup_bytes = 128 * 1024;

/* Bytes of argv to capture; set through rodata before load (<= HW_ARGS_MAX). */
const volatile __u32 argv_max = HW_ARGS_MAX;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child) {
    /* copy_process() fires this for threads too: those are only counted. */
    if (child->pid != child->tgid) {
        count_stat(HW_STAT_THREADS_CREATED);
        return 0;
    }
    struct hw_fork_event *e = reserve_event(HW_EV_FORK, sizeof(*e));
    if (!e) return 0;
    fill_process(&e->child, child);
    e->parent_start_ns = task_start_boottime_btf(child->real_parent->group_leader);
    submit_event(e);
    return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
    struct hw_exec_event *e = reserve_event(HW_EV_EXEC, sizeof(*e));
    if (!e) return 0;
    fill_process(&e->proc, task);
    e->old_pid = old_pid;

    const char *filename = BPF_CORE_READ(bprm, filename);
    long n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);
    e->filename_len = n > 0 ? n - 1 : 0;

    /* By this tracepoint the new image's argv sits in the new mm, between
     * arg_start and arg_end (set up by create_elf_tables / setup_arg_pages). */
    struct mm_struct *mm = BPF_CORE_READ(task, mm);
    __u64 arg_start = BPF_CORE_READ(mm, arg_start);
    __u64 arg_end = BPF_CORE_READ(mm, arg_end);
    __u64 len = arg_end > arg_start ? arg_end - arg_start : 0;
    __u32 limit = argv_max < HW_ARGS_MAX ? argv_max : HW_ARGS_MAX;
    e->args_truncated = len > limit;
    if (len > limit) len = limit;
    len &= (HW_ARGS_MAX - 1) | HW_ARGS_MAX; /* bound for the verifier */
    if (len > HW_ARGS_MAX) len = HW_ARGS_MAX;
    if (len && bpf_probe_read_user(e->args, len, (const void *)arg_start) != 0) len = 0;
    e->args_len = len;
    submit_event(e);
    return 0;
}

/* The pid namespace's init, as task_active_pid_ns(task)->child_reaper. */
static __always_inline struct task_struct *ns_child_reaper(struct task_struct *task) {
    struct pid *pid = BPF_CORE_READ(task, thread_pid);
    unsigned int level = BPF_CORE_READ(pid, level);
    struct pid_namespace *ns = BPF_CORE_READ(pid, numbers[level & 31].ns);
    return BPF_CORE_READ(ns, child_reaper);
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
    if (BPF_CORE_READ_BITFIELD_PROBED(rs, is_child_subreaper) &&
        !(BPF_CORE_READ(reaper, flags) & 0x00000004 /* PF_EXITING */)) {
        s->found = reaper;
        return 1;
    }
    s->candidate = BPF_CORE_READ(reaper, real_parent);
    return 0;
}

/* The new parent of `father`'s children, in find_new_reaper()'s order for a
 * dead thread group: the nearest ancestor that is a live child subreaper,
 * else the namespace's init. */
static __always_inline struct task_struct *new_reaper(struct task_struct *father,
                                                      struct task_struct *child_reaper,
                                                      __u32 *kind) {
    *kind = HW_REAPER_INIT;
    struct signal_struct *signal = BPF_CORE_READ(father, signal);
    if (!BPF_CORE_READ_BITFIELD_PROBED(signal, has_child_subreaper)) return child_reaper;

    struct reaper_search search = {
        .candidate = BPF_CORE_READ(father, real_parent),
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
    __u32 orphans;
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

/* One child per call; bpf_loop() lets the verifier check this body once
 * instead of once per unrolled iteration. */
/* bpf_loop() takes a stack pointer as context: a holder of the map value. */
struct orphan_walk_ref {
    struct orphan_walk *walk;
};

static long visit_child(__u32 index, struct orphan_walk_ref *ref) {
    struct orphan_walk *w = ref->walk;
    if (!w) return 1;
    struct list_head *pos = w->pos;
    if (!pos || pos == w->head) return 1; /* end of the list */
    w->pos = BPF_CORE_READ(pos, next);
    struct task_struct *child = container_of(pos, struct task_struct, sibling);
    if (BPF_CORE_READ(child, exit_state)) return 0; /* a zombie: its story already ended */
    if (w->orphans >= HW_MAX_ORPHANS) {
        w->overflow++;
        return 0;
    }
    w->orphans++;
    struct hw_reparent_event *r = reserve_event(HW_EV_REPARENT, sizeof(*r));
    if (!r) return 0;
    fill_process_probed(&r->child, child);
    r->old_ppid = w->old_ppid;
    r->old_parent_start_ns = w->old_start;
    r->new_ppid = w->new_ppid;
    r->new_parent_start_ns = w->new_start;
    r->reaper = w->kind;
    r->_pad0 = 0;
    submit_event(r);
    return 0;
}

/* One reparent event per live child of the exiting `task`, with the new
 * parent the kernel will choose. Returns how many were reported (the walk's
 * state: orphans and overflow). Most exiting processes have no children:
 * they leave before the map lookup and the reaper search. */
struct orphan_counts {
    __u32 reported;
    __u32 overflow;
};

static __always_inline struct orphan_counts report_orphans(struct task_struct *task) {
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
    walk->pos = BPF_CORE_READ(task, children.next);
    walk->old_ppid = BPF_CORE_READ(task, tgid);
    walk->old_start = task_start_boottime(BPF_CORE_READ(task, group_leader));
    walk->new_ppid = BPF_CORE_READ(reaper, tgid);
    walk->new_start = task_start_boottime(BPF_CORE_READ(reaper, group_leader));
    /* Children beyond HW_MAX_ORPHANS are counted up to this bound. */
    struct orphan_walk_ref ref = {.walk = walk};
    bpf_loop(HW_MAX_ORPHANS + HW_MAX_ORPHANS_COUNTED, visit_child, &ref, 0);
    if (walk->overflow) count_stat_by(HW_STAT_ORPHANS_OVERFLOW, walk->overflow);
    counts.reported = walk->orphans;
    counts.overflow = walk->overflow;
    return counts;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task) {
    /* do_exit() decrements signal->live before this tracepoint: zero means
     * the last thread of the group is exiting. Threads are skipped. */
    if (task->signal->live.counter > 0) return 0;

    struct orphan_counts orphans = report_orphans(task);
    struct hw_exit_event *e = reserve_event(HW_EV_EXIT, sizeof(*e));
    if (!e) return 0;
    fill_process(&e->proc, task);
    e->exit_code = task->exit_code;
    e->orphans = orphans.reported;
    e->orphans_overflow = orphans.overflow;
    e->_pad0 = 0;
    /* The last thread's own times are folded into signal only at release. */
    e->utime_ns = task->signal->utime + task->utime;
    e->stime_ns = task->signal->stime + task->stime;
    submit_event(e);
    return 0;
}
