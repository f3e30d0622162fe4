// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which fds of a process are dead ends for its writes.
 *
 * Hung-up terminals: __tty_hangup() (drivers/tty/tty_io.c) swaps the f_op of
 * every file open on the terminal to hung_up_tty_fops, whose write_iter is
 * hung_up_tty_write (EIO): a file whose write goes there is a dead terminal,
 * whatever its path says, so an old job's dead /dev/pts/3 and a new login's
 * live /dev/pts/3 differ.
 *
 * Widowed pipes: a pipe's write end whose pipe_inode_info has no reader
 * left; the next write gets SIGPIPE (pipe_write()/anon_pipe_write() in
 * fs/pipe.c). `ssh host CMD` gives the command pipes to sshd, which close
 * with it when the connection drops. Told by the inode's S_IFIFO mode, not
 * by the write function, whose name changed (anon_pipe_write, Linux 6.15).
 *
 * An iterator, run on demand (at a disconnect, when an orphan verdict
 * settles) over one process: it costs nothing between hangups, unlike
 * counting EIO writes on sys_exit.
 *
 * hung_up_tty_write is static: its address is in /proc/kallsyms only for
 * CAP_SYSLOG (or kptr_restrict=0 with perf_event_paranoid <= 1), which the
 * packaged daemon has not. So the daemon learns it from a terminal it hangs
 * up itself (HungUpTerminalScan::calibrate()): a pty slave whose master it
 * closed, pty_close() -> tty_vhangup(). This program, run over the daemon
 * with calibration_fd set, reads that file's write_iter. */
#include "common.bpf.h"

#define HW_S_IFMT 00170000
#define HW_S_IFIFO 0010000
#define HW_FMODE_WRITE 0x2

/* Set by userspace around a calibration run; -1 otherwise. */
__s32 calibration_fd = -1;
/* hung_up_tty_write, as learned by calibration; 0 until then (nothing is
 * then reported as a hung-up terminal, and userspace does not ask). */
__u64 hung_up_write_iter = 0;

/* A pipe or FIFO opened for writing whose readers all closed. fifo_open()
 * and create_pipe_files() set private_data to the pipe_inode_info. */
static __always_inline bool is_widowed_pipe(struct file *file) {
    if (!(file->f_mode & HW_FMODE_WRITE)) return false;
    umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
    if ((mode & HW_S_IFMT) != HW_S_IFIFO) return false;
    struct pipe_inode_info *pipe = file->private_data;
    if (!pipe) return false;
    return BPF_CORE_READ(pipe, readers) == 0;
}

static __always_inline void write_hung_up_fd(struct bpf_iter__task_file *ctx, const bool in_ns) {
    struct task_struct *task = ctx->task;
    struct file *file = ctx->file;
    if (!task || !file) return;
    const struct file_operations *fops = file->f_op;
    if (!fops) return;
    if (calibration_fd >= 0) {
        if (ctx->fd == (__u32)calibration_fd) hung_up_write_iter = (__u64)fops->write_iter;
        return;
    }

    /* The kernel finds the task by the pid the loader gave it, in the
     * loader's namespace (bpf_iter_attach_task(), find_pid_ns()): the record
     * names it the same way. */
    if (hidden_from_daemon(task, in_ns)) return;
    struct hw_hung_up_fd rec = {};
    if (hung_up_write_iter && (__u64)fops->write_iter == hung_up_write_iter) {
        rec.kind = HW_DEAD_FD_HUNG_UP_TTY;
        /* private_data is the tty_file_private tty_add_file() set; it stays
         * until the file is released. */
        struct tty_file_private *priv = file->private_data;
        rec.tty_dev = tty_dev_of(BPF_CORE_READ(priv, tty));
    } else if (is_widowed_pipe(file)) {
        rec.kind = HW_DEAD_FD_WIDOWED_PIPE;
    } else {
        return;
    }
    rec.start_ns = task_start_boottime_btf(task->group_leader);
    rec.pid = tgid_nr_of_btf(task, in_ns);
    rec.fd = ctx->fd;
    bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
}

SEC("iter/task_file")
int find_hung_up_ttys(struct bpf_iter__task_file *ctx) {
    HW_BY_PIDNS(write_hung_up_fd(ctx, false), write_hung_up_fd(ctx, true));
    return 0;
}
