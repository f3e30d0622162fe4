// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Programs that do nothing, on the four tracepoints hupwatch attaches by
 * default (no syscall hook: --syscall-results is opt-in): what
 * any BPF monitor of these tracepoints costs on this kernel before it does
 * any work. bench/run.sh measures it beside hupwatch, as its floor. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_process_fork")
int BPF_PROG(empty_fork, struct task_struct *parent, struct task_struct *child) {
    return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(empty_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(empty_exit, struct task_struct *task) {
    return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(empty_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
             int group, int result) {
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
