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

static __always_inline __u64 task_start_boottime(struct task_struct *task)
{
	if (bpf_core_field_exists(task->start_boottime))
		return BPF_CORE_READ(task, start_boottime);
	return BPF_CORE_READ((struct task_struct___pre55 *)task, real_start_time);
}

/* loginuid and sessionid exist only with CONFIG_AUDIT(SYSCALL). */
static __always_inline __u32 task_loginuid(struct task_struct *task)
{
	if (bpf_core_field_exists(task->loginuid))
		return BPF_CORE_READ(task, loginuid.val);
	return (__u32)-1;
}

static __always_inline __u32 task_audit_session(struct task_struct *task)
{
	if (bpf_core_field_exists(task->sessionid))
		return BPF_CORE_READ(task, sessionid);
	return (__u32)-1;
}

/* v5.5 made kernfs_node::id a u64; before it was a
 * union whose first u64 was the same id. Read it as a u64 either way. */
static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

#endif /* HUPWATCH_CORE_FIXES_BPF_H */
