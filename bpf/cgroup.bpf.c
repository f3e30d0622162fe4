// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Cgroups as they are made. cgroup_mkdir() (kernel/cgroup/cgroup.c) fires
 * cgroup:cgroup_mkdir once the directory exists, with its path, which
 * TRACE_CGROUP_PATH builds only while the tracepoint is enabled. A scope
 * stopped within the reader's 100 ms drain is gone, cgroup and all, before
 * its processes' events are read: its unit is then named only by this
 * record. Rare (one per unit, session or container), off the spawn path. */
#include "common.bpf.h"

/* Never used: BTF for the layout test, as hw_layout_anchor in process.bpf.c. */
const struct hw_cgroup_mkdir_event *hw_cgroup_layout_anchor __attribute__((unused));

static __always_inline void report_mkdir(struct cgroup *cgrp, const char *path, const bool in_ns) {
    struct task_struct *current = bpf_get_current_task_btf();
    if (hidden_from_daemon(current, in_ns)) return;
    struct hw_cgroup_mkdir_event *e = reserve_event(HW_EV_CGROUP_MKDIR, sizeof(*e));
    if (!e) return;
    fill_process(&e->proc, current, in_ns);
    e->cgroup_id = cgrp->kn->id;
    long n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
    e->path_len = n > 0 ? n - 1 : 0;
    e->path_truncated = n == sizeof(e->path) ? 1 : 0;
    submit_event(e);
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(handle_cgroup_mkdir, struct cgroup *cgrp, const char *path) {
    /* The unified hierarchy only: its ids are the ones every event carries
     * (task->cgroups->dfl_cgrp). cgroup_init() sets it up first, as
     * hierarchy 0 (cgroup_init_root_id()); v1 hierarchies number their
     * nodes apart. */
    if (cgrp->root->hierarchy_id != 0) return 0;
    HW_BY_PIDNS(report_mkdir(cgrp, path, false), report_mkdir(cgrp, path, true));
    return 0;
}
