/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CO-RE workarounds for kernel struct changes, one per helper, each naming
 * the change it covers. Everything else reads fields directly.
 */
#ifndef HUPWATCH_CORE_FIXES_BPF_H
#define HUPWATCH_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/* v5.5 renamed task_struct::real_start_time to start_boottime; before it,
 * real_start_time held the same boot-based value. */
struct task_struct___pre55 {
    __u64 real_start_time;
};

static __always_inline __u64 task_start_boottime(struct task_struct *task) {
    if (bpf_core_field_exists(task->start_boottime)) return BPF_CORE_READ(task, start_boottime);
    return BPF_CORE_READ((struct task_struct___pre55 *)task, real_start_time);
}

/* The same for a BTF pointer: a plain load where the field exists. */
static __always_inline __u64 task_start_boottime_btf(struct task_struct *task) {
    if (bpf_core_field_exists(task->start_boottime)) return task->start_boottime;
    return BPF_CORE_READ((struct task_struct___pre55 *)task, real_start_time);
}

/* loginuid and sessionid exist only with CONFIG_AUDIT(SYSCALL). */
static __always_inline __u32 task_loginuid(struct task_struct *task) {
    if (bpf_core_field_exists(task->loginuid)) return BPF_CORE_READ(task, loginuid.val);
    return (__u32)-1;
}

static __always_inline __u32 task_audit_session(struct task_struct *task) {
    if (bpf_core_field_exists(task->sessionid)) return BPF_CORE_READ(task, sessionid);
    return (__u32)-1;
}

/* The same for a BTF pointer: plain loads where the fields exist. */
static __always_inline __u32 task_loginuid_btf(struct task_struct *task) {
    if (bpf_core_field_exists(task->loginuid)) return task->loginuid.val;
    return (__u32)-1;
}

static __always_inline __u32 task_audit_session_btf(struct task_struct *task) {
    if (bpf_core_field_exists(task->sessionid)) return task->sessionid;
    return (__u32)-1;
}

/* v6.15 renamed kernfs_node::parent to __parent (now RCU-protected). */
struct kernfs_node___pre615 {
    struct kernfs_node *parent;
};

static __always_inline struct kernfs_node *kernfs_parent_of(struct kernfs_node *kn) {
    if (bpf_core_field_exists(kn->__parent)) return BPF_CORE_READ(kn, __parent);
    return BPF_CORE_READ((struct kernfs_node___pre615 *)kn, parent);
}

#endif /* HUPWATCH_CORE_FIXES_BPF_H */
