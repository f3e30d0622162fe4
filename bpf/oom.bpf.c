// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel's OOM killer's victims. __oom_kill_process() sends the victim
 * SIGKILL (SEND_SIG_PRIV) and then calls mark_oom_victim(), which fires
 * oom:mark_victim; the victim dies only after, so this event always precedes
 * its exit on the ring. The SIGKILL alone cannot be told from other
 * kernel-sent SIGKILLs: this names it, with the memory cgroup whose limit (or
 * the whole machine, "/") ran out. */
#include "common.bpf.h"

/* Never used: BTF for the layout test, as hw_layout_anchor in process.bpf.c. */
const struct hw_oom_victim_event *hw_oom_layout_anchor __attribute__((unused));

/* The victim's memory cgroup, as a path in that controller's hierarchy (v1
 * or v2): kernfs names walked up from the cgroup, written root first. */
static __always_inline void fill_memcg_path(struct hw_oom_victim_event *e,
                                            struct task_struct *task) {
    int memory_id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
    struct cgroup_subsys_state *css = NULL;
    bpf_probe_read_kernel(&css, sizeof(css), &task->cgroups->subsys[memory_id & 15]);
    struct kernfs_node *kn = css ? BPF_CORE_READ(css, cgroup, kn) : NULL;
    e->memcg_id = kn ? BPF_CORE_READ(kn, id) : 0;

    struct kernfs_node *nodes[HW_CGROUP_DEPTH] = {};
    int depth = 0;
#pragma unroll
    for (int i = 0; i < HW_CGROUP_DEPTH; i++) {
        struct kernfs_node *parent = kn ? kernfs_parent_of(kn) : NULL;
        if (!parent) break; /* the root's name is not part of the path */
        nodes[i] = kn;
        depth = i + 1;
        kn = parent;
    }
    e->memcg_path_truncated = kn && kernfs_parent_of(kn) ? 1 : 0;

    /* barrier_var(): clang would drop a mask it can prove redundant, and
     * then the verifier cannot bound the offset. */
    __u32 off = 0;
#pragma unroll
    for (int i = HW_CGROUP_DEPTH - 1; i >= 0; i--) {
        if (i >= depth) continue;
        if (off >= HW_CGROUP_PATH_MAX - 1) {
            e->memcg_path_truncated = 1;
            break;
        }
        __u32 at = off;
        barrier_var(at);
        e->memcg_path[at & (HW_CGROUP_PATH_MAX - 1)] = '/';
        at = off + 1;
        barrier_var(at);
        const char *name = BPF_CORE_READ(nodes[i], name);
        long n = bpf_probe_read_kernel_str(&e->memcg_path[at & (HW_CGROUP_PATH_MAX - 1)],
                                           HW_CGROUP_PATH_MAX, name);
        off += 1 + (n > 1 ? n - 1 : 0);
    }
    if (off == 0) { /* the root of the hierarchy: the whole host */
        e->memcg_path[0] = '/';
        e->memcg_path[1] = 0;
        off = 1;
    }
    e->memcg_path_len = off;
}

static __always_inline void report_victim(struct task_struct *task, const bool in_ns) {
    if (hidden_from_daemon(task, in_ns)) return;
    struct hw_oom_victim_event *e = reserve_event(HW_EV_OOM_VICTIM, sizeof(*e));
    if (!e) return;
    fill_process(&e->victim, task, in_ns);
    struct task_struct *current = bpf_get_current_task_btf();
    e->trigger_pid = tgid_nr_of_btf(current, in_ns);
    e->trigger_start_ns = task_start_boottime_btf(current->group_leader);
    e->_pad0 = 0;
    e->memcg_path[0] = 0;
    fill_memcg_path(e, task);
    submit_event(e);
}

SEC("tp_btf/mark_victim")
int BPF_PROG(handle_mark_victim, struct task_struct *task, uid_t uid) {
    HW_BY_PIDNS(report_victim(task, false), report_victim(task, true));
    return 0;
}
