// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The least any monitor that reports each fork, exec and exit through a ring
 * buffer pays on these four tracepoints: one record per event, of hupwatch's
 * sizes, stamped with the boot clock as hupwatch stamps them (the fork with
 * the child's start time, the others through the helper), submitted without
 * a wakeup; nothing filled, nothing read but the header (bench/windowed_spawn
 * drains and discards every 100 ms, as hupwatch's reader drains). Signals in
 * hupwatch's default mask are recorded too; SIGCHLD is not in it.
 *
 * A pause switch, as hupwatch's bench_pause, turns every program away at its
 * first line: windowed_spawn measures the records alone, above the floor of
 * the programs' mere attachment (bench/floor.bpf.c). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hupwatch_events.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 * 1024 * 1024); /* hupwatch's size */
} records SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} record_pause SEC(".maps");

/* Reserves that failed (a full ring): windowed_spawn prints them. */
__u64 failed_reserves = 0;

static __always_inline bool paused(void) {
    __u32 zero = 0;
    __u32 *p = bpf_map_lookup_elem(&record_pause, &zero);
    return p && *p;
}

/* Set before load (windowed_spawn batched-records): put the records in a
 * per-CPU batch of this many and send the batch as one ring-buffer record,
 * to tell the cost of a submission from the cost of a record's bytes. */
const volatile __u32 batch = 0;
/* Set before load: exit records stamped 0 instead of the boot clock, to
 * measure the one clock read on a spawn's path (hupwatch's exit stamp). */
const volatile __u32 unstamped_exits = 0;
#define BATCH_MAX 8
#define BATCH_SLOT 128

struct batch_buffer {
    __u32 used;
    __u8 slots[BATCH_MAX][BATCH_SLOT];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct batch_buffer);
} batches SEC(".maps");

static __always_inline void record_batched(__u32 type, __u32 size, __u64 ktime_ns) {
    __u32 zero = 0;
    struct batch_buffer *b = bpf_map_lookup_elem(&batches, &zero);
    if (!b) return;
    __u32 i = b->used;
    if (i >= BATCH_MAX) i = 0;
    struct hw_header *hdr = (struct hw_header *)b->slots[i];
    hdr->type = type;
    hdr->size = size;
    hdr->ktime_ns = ktime_ns;
    if (++i < batch && i < BATCH_MAX) {
        b->used = i;
        return;
    }
    b->used = 0;
    if (bpf_ringbuf_output(&records, b->slots, sizeof(b->slots), BPF_RB_NO_WAKEUP) != 0)
        __sync_fetch_and_add(&failed_reserves, 1);
}

static __always_inline void record(__u32 type, __u32 size, __u64 ktime_ns) {
    if (batch > 1) {
        record_batched(type, size, ktime_ns);
        return;
    }
    struct hw_header *hdr = bpf_ringbuf_reserve(&records, size, 0);
    if (!hdr) {
        __sync_fetch_and_add(&failed_reserves, 1);
        return;
    }
    hdr->type = type;
    hdr->size = size;
    hdr->ktime_ns = ktime_ns;
    bpf_ringbuf_submit(hdr, BPF_RB_NO_WAKEUP);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(record_fork, struct task_struct *parent, struct task_struct *child) {
    if (paused() || child->pid != child->tgid) return 0;
    record(HW_EV_FORK, sizeof(struct hw_fork_event), child->start_boottime);
    return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(record_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
    if (paused()) return 0;
    record(HW_EV_EXEC, sizeof(struct hw_exec_event), bpf_ktime_get_boot_ns());
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(record_exit, struct task_struct *task, bool group_dead) {
    if (paused() || !group_dead) return 0;
    record(HW_EV_EXIT, sizeof(struct hw_exit_event), unstamped_exits ? 0 : bpf_ktime_get_boot_ns());
    return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(record_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
             int group, int result) {
    if (paused() || sig <= 0 || sig >= 64 || !(HW_DEFAULT_SIGNAL_MASK & (1ULL << sig))) return 0;
    record(HW_EV_SIGNAL, sizeof(struct hw_signal_event), bpf_ktime_get_boot_ns());
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
