// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which pid namespace the loader runs in, as the kernel numbers it: its
 * level and nsfs inode. Userspace sees only the inode (/proc/self/ns/pid);
 * the level is not in /proc when /proc is the namespace's own (NSpid then
 * starts at this level), and NS_GET_PARENT refuses to leave it. Run once,
 * through BPF_PROG_TEST_RUN, in the loader's own context, before the
 * programs of hupwatch.bpf are loaded with the result in their rodata.
 * Its own object: it never shares that load. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* include/linux/pid_namespace.h: create_pid_namespace() refuses deeper. */
#define HW_MAX_PID_NS_LEVEL 32

__u32 found_level;
__u32 found_inum;
__u32 found_tgid; /* the caller's tgid in its own namespace, a cross-check */
__u32 found;

/* task_active_pid_ns(current) = ns_of_pid(task_pid(current)):
 * thread_pid->numbers[thread_pid->level].ns (include/linux/pid.h). */
SEC("raw_tp")
int find_pid_namespace(void *ctx) {
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct pid *pid = BPF_CORE_READ(task, thread_pid);
    unsigned int level = BPF_CORE_READ(pid, level);
    if (level > HW_MAX_PID_NS_LEVEL) return 0;
    found_level = level;
    found_inum = BPF_CORE_READ(pid, numbers[level].ns, ns.inum);
    struct pid *tgid = BPF_CORE_READ(task, signal, pids[PIDTYPE_TGID]);
    found_tgid = BPF_CORE_READ(tgid, numbers[level].nr);
    found = 1;
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
