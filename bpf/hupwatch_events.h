/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Event structs shared by the BPF programs and the C++ collector.
 *
 * Plain fixed-width types and fixed arrays only; explicit padding, no
 * `packed`. tests/unit/layout_test.cpp checks that the sizes and offsets the
 * C++ compiler sees match the BTF clang wrote into the BPF object.
 */
#ifndef HUPWATCH_EVENTS_H
#define HUPWATCH_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* userspace: the kernel's own __u32/__u64 */
#endif

#define HW_COMM_LEN 16
#define HW_FILENAME_LEN 256
/* Hard ceiling of the argv buffer; the configured limit (argv_max) is <= this. */
#define HW_ARGS_MAX 4096
/* Children of one exiting process reported individually; the rest are counted. */
#define HW_MAX_ORPHANS 512
/* Further children counted (not reported) in orphans_overflow, at most. */
#define HW_MAX_ORPHANS_COUNTED 65536
/* Ancestors searched for a child subreaper, as find_new_reaper() does. */
#define HW_MAX_REAPER_DEPTH 32
/* A memory cgroup's path is written while shorter than this; the array holds
 * twice as much so that the verifier can bound every write (oom.bpf.c). */
#define HW_CGROUP_PATH_MAX 256
/* Levels of a cgroup path walked up from the victim's cgroup, at most. */
#define HW_CGROUP_DEPTH 12

/* Signals reported by default (--signals): SIGHUP(1) SIGINT(2) SIGQUIT(3)
 * SIGABRT(6) SIGKILL(9) SIGPIPE(13) SIGTERM(15) SIGCONT(18) SIGXCPU(24)
 * SIGXFSZ(25). One definition for signal.bpf.c and the loader. */
#define HW_DEFAULT_SIGNAL_MASK                                                            \
    ((1ULL << 1) | (1ULL << 2) | (1ULL << 3) | (1ULL << 6) | (1ULL << 9) | (1ULL << 13) | \
     (1ULL << 15) | (1ULL << 18) | (1ULL << 24) | (1ULL << 25))
/* Threads of one subreaper searched for a live one, as find_alive_thread(). */
#define HW_MAX_REAPER_THREADS 16

enum hw_event_type {
    HW_EV_FORK = 1,
    HW_EV_EXEC = 2,
    HW_EV_EXIT = 3,
    HW_EV_SIGNAL = 4,
    HW_EV_REPARENT = 5,
    HW_EV_SESSION = 6,
    HW_EV_OUTPUT_LOST = 7,
    HW_EV_OOM_VICTIM = 8,
    HW_EV_CGROUP_MKDIR = 9,
    HW_EV_TYPE_MAX = 10,
};

/* Indexes of the per-CPU stats map. 0..HW_EV_TYPE_MAX-1 are ring-buffer
 * reservation failures (events lost) per event type. */
enum hw_stat {
    HW_STAT_THREADS_CREATED = HW_EV_TYPE_MAX,
    HW_STAT_ORPHANS_OVERFLOW,
    HW_STAT_REAPER_DEPTH_OVERFLOW,
    /* A subreaper's threads beyond HW_MAX_REAPER_THREADS, all exiting in
     * the part seen: the group was taken as live. */
    HW_STAT_REAPER_THREADS_OVERFLOW,
    /* Events about processes not visible from the daemon's pid namespace
     * (host processes, when it runs in a container's), dropped before a
     * reserve. Always 0 in the initial namespace. */
    HW_STAT_PID_NS_HIDDEN,
    /* Hook runs that returned at once because bench_pause was set
     * (common.bpf.h): what the monitor did not look at, never silent. */
    HW_STAT_BENCH_PAUSED,
    HW_STAT_MAX,
};

/* Values of the kernel's enum trace_signal_result (include/trace/events/signal.h). */
enum hw_signal_result {
    HW_SIG_DELIVERED = 0,
    HW_SIG_IGNORED = 1,
    HW_SIG_ALREADY_PENDING = 2,
    HW_SIG_OVERFLOW_FAIL = 3,
    HW_SIG_LOSE_INFO = 4,
};

enum hw_signal_origin {
    HW_ORIGIN_USER = 0,
    HW_ORIGIN_KERNEL = 1,
};

enum hw_reaper_kind {
    HW_REAPER_INIT = 0,
    HW_REAPER_SUBREAPER = 1,
};

/* A signal's disposition in the target when it was generated:
 * task->sighand->action[sig - 1].sa.sa_handler. */
enum hw_disposition {
    HW_DISP_DEFAULT = 0, /* SIG_DFL */
    HW_DISP_IGNORED = 1, /* SIG_IGN */
    HW_DISP_HANDLED = 2, /* a handler */
};

enum hw_session_call {
    HW_CALL_SETSID = 0,
    HW_CALL_SETPGID = 1,
};

/* Every message starts with this. */
struct hw_header {
    __u32 type;     /* enum hw_event_type */
    __u32 size;     /* bytes of the whole record */
    __u64 ktime_ns; /* CLOCK_BOOTTIME, same clock as start_ns */
};

/* A process as seen at the event: identity (pid, start_ns) plus context.
 * Every pid in these records (pid, tid, ppid, pgid, sid, senders, parents)
 * is the number in the daemon's own pid namespace; 0 where that process is
 * not visible from it. */
struct hw_process {
    __u64 start_ns;  /* task->start_boottime of the thread-group leader */
    __u64 cgroup_id; /* cgroup v2 id */
    __u32 pid;       /* tgid */
    __u32 tid;       /* the thread involved */
    __u32 ppid;      /* real_parent's tgid */
    __u32 pgid;
    __u32 sid;
    __u32 uid;
    __u32 loginuid; /* (u32)-1 when unset */
    __u32 audit_session;
    __u32 tty_dev; /* kernel dev_t (major << 20 | minor); 0: no controlling tty */
    __u32 _pad0;
    char comm[HW_COMM_LEN];
};

struct hw_fork_event {
    struct hw_header hdr;
    struct hw_process child;
    __u64 parent_start_ns;
};

struct hw_exec_event {
    struct hw_header hdr;
    struct hw_process proc;
    __u32 old_pid;        /* pid before exec (differs when a thread execs); 0: unknown */
    __u32 filename_len;   /* bytes in filename, without NUL */
    __u32 args_len;       /* bytes in args: NUL-separated argv strings */
    __u32 args_truncated; /* 1 when argv was longer than argv_max */
    char filename[HW_FILENAME_LEN];
    char args[HW_ARGS_MAX];
};

struct hw_exit_event {
    struct hw_header hdr;
    struct hw_process proc;
    __s32
        exit_code; /* raw wait status: sig = code & 0x7f, core = code & 0x80, status = code >> 8 */
    __u32 orphans; /* children handed to a new parent (reported, <= HW_MAX_ORPHANS) */
    __u32 orphans_overflow; /* children beyond HW_MAX_ORPHANS, counted only */
    __u32 _pad0;
    __u64 utime_ns;
    __u64 stime_ns;
};

struct hw_signal_event {
    struct hw_header hdr;
    struct hw_process target;
    __u64 sender_start_ns;
    __u32 sender_pid;
    __s32 sig;
    __s32 si_code; /* 0 when the kernel passed no siginfo */
    __u32 origin;  /* enum hw_signal_origin */
    __s32 result;  /* enum hw_signal_result */
    __u32 group;   /* 1: sent to the whole thread group */
    char sender_comm[HW_COMM_LEN];
    /* 1: the kernel passed SEND_SIG_NOINFO, as send_sig(sig, task, 0) does
     * (cgroup.kill's __cgroup_kill, pipe_write's SIGPIPE, RLIMIT_FSIZE); kill()
     * and its kin always pass a siginfo. */
    __u32 no_info;
    __u32 sender_uid;      /* the sender's real uid */
    __u32 sender_loginuid; /* (u32)-1 when unset: the person behind sudo or su */
    __u32 disposition;     /* enum hw_disposition, in the target at generation */
};

struct hw_reparent_event {
    struct hw_header hdr;
    struct hw_process child;
    __u64 old_parent_start_ns;
    __u64 new_parent_start_ns;
    __u32 old_ppid;
    __u32 new_ppid;
    __u32 reaper; /* enum hw_reaper_kind */
    __u32 _pad0;
};

struct hw_session_event {
    struct hw_header hdr;
    struct hw_process proc; /* the caller, after the call */
    __s64 ret;              /* syscall return: new sid / 0, or -errno */
    __u32 call;             /* enum hw_session_call */
    __u32 arg_pid;          /* setpgid(pid, pgid) arguments; 0 for setsid */
    __u32 arg_pgid;
    __u32 _pad0;
};

/* A write to a hung-up terminal failed with EIO: output is being lost. Sent
 * on a process's first such failure, then at most once a second, with the
 * running count; the count itself misses nothing. */
struct hw_output_lost_event {
    struct hw_header hdr;
    struct hw_process proc;
    __u64 eio_writes; /* failed writes by this process so far */
    __u32 fd;
    __u32 _pad0;
};

/* The kernel's OOM killer chose this process (oom:mark_victim, after
 * __oom_kill_process() sent it SIGKILL). */
struct hw_oom_victim_event {
    struct hw_header hdr;
    struct hw_process victim;
    __u64 memcg_id;         /* kernfs id of the victim's memory cgroup; 0: none */
    __u64 trigger_start_ns; /* the task whose allocation ran the OOM killer */
    __u32 trigger_pid;
    __u32 memcg_path_len; /* bytes in memcg_path, without NUL */
    __u32 memcg_path_truncated;
    __u32 _pad0;
    /* Path in the memory controller's hierarchy ("/" for its root). */
    char memcg_path[2 * HW_CGROUP_PATH_MAX];
};

/* A directory was made in the unified (v2) cgroup hierarchy
 * (cgroup:cgroup_mkdir): a systemd unit, a login session's scope, a
 * container. Its path is what names a unit when the cgroup is gone before
 * its processes' events are read (a scope stopped within the reader's
 * 100 ms drain). */
struct hw_cgroup_mkdir_event {
    struct hw_header hdr;
    struct hw_process proc; /* the process that made it */
    __u64 cgroup_id;        /* the new cgroup's kernfs id, as hw_process.cgroup_id */
    __u32 path_len;         /* bytes in path, without NUL */
    __u32 path_truncated;   /* 1: the path was longer than the array */
    /* Below the hierarchy's root, as the kernel's cgroup_path() writes it. */
    char path[2 * HW_CGROUP_PATH_MAX];
};

/* What makes an fd of hw_hung_up_fd dead. */
enum hw_dead_fd_kind {
    HW_DEAD_FD_HUNG_UP_TTY = 0,  /* f_op swapped to hung_up_tty_fops */
    HW_DEAD_FD_WIDOWED_PIPE = 1, /* a pipe's write end with no reader left */
};

/* One fd of a process whose writes cannot reach anyone: a hung-up terminal
 * (its f_op was swapped to hung_up_tty_fops by __tty_hangup()), or a pipe
 * whose every reader closed (pipe_write() then raises SIGPIPE). Not a
 * ring-buffer event: the iter/task_file program writes these to its seq
 * file, read on demand. */
struct hw_hung_up_fd {
    __u64 start_ns; /* the process's identity: start_ns of its leader */
    __u32 pid;      /* tgid */
    __u32 fd;
    __u32 tty_dev; /* the terminal it was (kernel dev_t); 0 if unknown */
    __u32 kind;    /* enum hw_dead_fd_kind */
};

#endif /* HUPWATCH_EVENTS_H */
