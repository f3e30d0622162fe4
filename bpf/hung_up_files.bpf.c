// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which fds of a process are hung-up terminals. __tty_hangup()
 * (drivers/tty/tty_io.c) swaps the f_op of every file open on the terminal
 * to hung_up_tty_fops, whose write_iter is hung_up_tty_write (EIO): a file
 * whose write goes there is a dead terminal, whatever its path says, so an
 * old job's dead /dev/pts/3 and a new login's live /dev/pts/3 differ.
 *
 * An iterator, run on demand (at a disconnect, when an orphan verdict
 * settles) over one process: it costs nothing between hangups, unlike
 * counting EIO writes on sys_exit. */
#include "common.bpf.h"

/* A static function: resolved from /proc/kallsyms by libbpf. Weak: a kernel
 * without it loads, and finds nothing (userspace reports that). */
extern const void hung_up_tty_write __ksym __weak;

static __always_inline void write_hung_up_fd(struct bpf_iter__task_file *ctx, const bool in_ns) {
    struct task_struct *task = ctx->task;
    struct file *file = ctx->file;
    if (!task || !file) return;
    const struct file_operations *fops = file->f_op;
    if (!fops || !&hung_up_tty_write) return;
    if ((unsigned long)fops->write_iter != (unsigned long)&hung_up_tty_write) return;

    /* The kernel finds the task by the pid the loader gave it, in the
     * loader's namespace (bpf_iter_attach_task(), find_pid_ns()): the record
     * names it the same way. */
    if (hidden_from_daemon(task, in_ns)) return;
    struct hw_hung_up_fd rec = {};
    rec.start_ns = task_start_boottime_btf(task->group_leader);
    rec.pid = tgid_nr_of_btf(task, in_ns);
    rec.fd = ctx->fd;
    /* private_data is the tty_file_private tty_add_file() set; it stays
     * until the file is released. */
    struct tty_file_private *priv = file->private_data;
    rec.tty_dev = tty_dev_of(BPF_CORE_READ(priv, tty));
    bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
}

SEC("iter/task_file")
int find_hung_up_ttys(struct bpf_iter__task_file *ctx) {
    HW_BY_PIDNS(write_hung_up_fd(ctx, false), write_hung_up_fd(ctx, true));
    return 0;
}
