// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Results of setsid() and setpgid(). No tracepoint sits inside either call,
 * so this watches raw_syscalls:sys_exit and leaves in a few instructions for
 * every other syscall. */
#include "common.bpf.h"

#if defined(__TARGET_ARCH_x86)
#define HW_NR_SETPGID 109
#define HW_NR_SETSID 112
#define HW_SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define HW_NR_SETPGID 154
#define HW_NR_SETSID 157
#define HW_SYSCALL_NR(regs) BPF_CORE_READ((struct user_pt_regs *)(regs), regs[8])
#else
#error "hupwatch: syscall numbers for this architecture are missing"
#endif

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = HW_SYSCALL_NR(regs);
	if (nr != HW_NR_SETSID && nr != HW_NR_SETPGID)
		return 0;

	struct hw_session_event *e = reserve_event(HW_EV_SESSION, sizeof(*e));
	if (!e)
		return 0;
	fill_process(&e->proc, bpf_get_current_task_btf());
	e->ret = ret;
	e->_pad0 = 0;
	if (nr == HW_NR_SETSID) {
		e->call = HW_CALL_SETSID;
		e->arg_pid = 0;
		e->arg_pgid = 0;
	} else {
		/* The saved user registers still hold the arguments at exit. */
		e->call = HW_CALL_SETPGID;
		e->arg_pid = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->arg_pgid = PT_REGS_PARM2_CORE_SYSCALL(regs);
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}
