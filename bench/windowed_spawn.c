// Windowed spawn storm: the vfork storm of spawn_storm.c, measured in short
// windows that alternate between two states of the machine (programs on,
// programs off) in ABBA order, so that the drift of this VM's speed (±12 %
// from one second to the next) cancels inside each pair instead of swamping
// a 1-2 % difference. Prints the median of the per-pair slowdowns, its 90 %
// interval (sign-test order statistics), and the two states' median rates.
//
// Usage: windowed_spawn MODE [window_ms=250] [pairs=200] [cpu=1]
//   floor   attach and detach the empty programs (bench/floor.bpf.c)
//   records the programs that only record each event (bench/record_floor.bpf.c)
//           recording vs turned away at their first line, a thread draining
//           and discarding their ring every 100 ms as hupwatch's reader does
//   floor-nofork, exit-records
//           the same without any program on sched_process_fork: the least a
//           monitor could cost that learned each process only at its exec,
//           its exit or a sweep, and recorded no fork
//   batched-records
//           the same records put in a per-CPU batch of 8 and sent as one
//           ring-buffer record per batch: what a submission costs, apart
//           from what recording the event costs
//   WINDOWED_UNSTAMPED_EXITS=1 in the environment (records modes): the exit
//           records carry no boot-clock stamp, so that the one clock read
//           on the path of a spawn is measured on its own
//   WINDOWED_RING_KB=N, WINDOWED_DRAIN_MS=M (records modes): a ring of N KB
//           (hupwatch's is 16 MB) drained every M ms (hupwatch's reader:
//           100), to see whether a ring small enough to stay in cache
//           costs less per record
//   MAP_ID  a running hupwatch's `bench_pause` map (bench/run.sh finds it):
//           1 at key 0 makes every hupwatch program return at its first line
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn_one.h"

#include "empty_hooks.skel.h"
#include "record_hooks.skel.h"

// Processes per second over one window.
static double storm(double seconds) {
    double start = now(), end = start + seconds, t = start;
    unsigned long ops = 0;
    while (t < end) {
        for (int i = 0; i < 16; i++)
            if (spawn_one() != 0) {
                perror("windowed_spawn: vfork/waitpid");
                exit(1);
            }
        ops += 16;
        t = now();
    }
    return (double)ops / (t - start);
}

static struct empty_hooks* floor_skel;
static struct record_hooks* record_skel;
static int pause_fd = -1;
static volatile int draining = 1;
static unsigned long records_read;
static long drain_ms = 100;  // WINDOWED_DRAIN_MS

static int discard(void* ctx, void* data, size_t size) {
    (void)ctx, (void)data, (void)size;
    records_read++;
    return 0;
}

// hupwatch's reader in miniature: wakes every 100 ms (kMonitorPollMs; or
// WINDOWED_DRAIN_MS) and consumes what the ring holds, on any CPU (it is not
// pinned either).
static void* drain(void* arg) {
    struct ring_buffer* rb = arg;
    while (draining) {
        struct timespec nap = {drain_ms / 1000, (drain_ms % 1000) * 1000 * 1000};
        nanosleep(&nap, NULL);
        ring_buffer__consume(rb);
    }
    ring_buffer__consume(rb);
    return NULL;
}

// on: the monitoring runs during the next window.
static int set_monitoring(int on) {
    if (pause_fd >= 0) {
        __u32 key = 0, value = on ? 0 : 1;
        return bpf_map_update_elem(pause_fd, &key, &value, BPF_ANY);
    }
    if (on) return empty_hooks__attach(floor_skel);
    empty_hooks__detach(floor_skel);
    return 0;
}

static int cmp(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(
            stderr,
            "usage: windowed_spawn floor|floor-nofork|records|exit-records|batched-records|MAP_ID "
            "[window_ms] [pairs] [cpu]\n");
        return 2;
    }
    double window = (argc > 2 ? atof(argv[2]) : 250) / 1000.0;
    int pairs = argc > 3 ? atoi(argv[3]) : 200;
    int cpu = argc > 4 ? atoi(argv[4]) : 1;
    if (window <= 0 || pairs < 5) {
        fprintf(stderr, "windowed_spawn: window_ms > 0 and pairs >= 5\n");
        return 2;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        perror("windowed_spawn: sched_setaffinity");
        return 1;
    }
    struct ring_buffer* rb = NULL;
    pthread_t drainer;
    // Without the fork hook: its program is loaded but never attached.
    bool nofork = strcmp(argv[1], "floor-nofork") == 0 || strcmp(argv[1], "exit-records") == 0;
    bool unstamped = getenv("WINDOWED_UNSTAMPED_EXITS") != NULL;
    bool batched = strcmp(argv[1], "batched-records") == 0;
    if (strcmp(argv[1], "records") == 0 || strcmp(argv[1], "exit-records") == 0 || batched) {
        record_skel = record_hooks__open();
        if (record_skel && batched) record_skel->rodata->batch = 8;
        if (record_skel && unstamped) record_skel->rodata->unstamped_exits = 1;
        // The ring's size (a power of 2, at least a page) and how often it is
        // drained: does a ring small enough to stay in cache cost less?
        const char* ring_kb = getenv("WINDOWED_RING_KB");
        const char* every = getenv("WINDOWED_DRAIN_MS");
        if (every && atol(every) > 0) drain_ms = atol(every);
        if (record_skel && ring_kb &&
            bpf_map__set_max_entries(record_skel->maps.records, (__u32)atol(ring_kb) * 1024) != 0) {
            fprintf(stderr, "windowed_spawn: WINDOWED_RING_KB: cannot size the ring %s KB\n",
                    ring_kb);
            return 2;
        }
        if (record_skel && nofork)
            bpf_program__set_autoattach(record_skel->progs.record_fork, false);
        if (!record_skel || record_hooks__load(record_skel) != 0 ||
            record_hooks__attach(record_skel) != 0) {
            fprintf(stderr, "windowed_spawn: cannot load and attach the recording programs\n");
            return 1;
        }
        pause_fd = bpf_map__fd(record_skel->maps.record_pause);
        rb = ring_buffer__new(bpf_map__fd(record_skel->maps.records), discard, NULL, NULL);
        cpu_set_t all;
        CPU_ZERO(&all);
        for (int c = 0; c < CPU_SETSIZE; c++) CPU_SET(c, &all);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setaffinity_np(&attr, sizeof(all), &all);
        if (!rb || pthread_create(&drainer, &attr, drain, rb) != 0) {
            fprintf(stderr, "windowed_spawn: cannot drain the recording programs' ring\n");
            return 1;
        }
    } else if (strcmp(argv[1], "floor") == 0 || strcmp(argv[1], "floor-nofork") == 0) {
        floor_skel = empty_hooks__open();
        if (floor_skel && nofork) bpf_program__set_autoattach(floor_skel->progs.empty_fork, false);
        if (!floor_skel || empty_hooks__load(floor_skel) != 0) {
            fprintf(stderr, "windowed_spawn: cannot load the empty programs\n");
            return 1;
        }
    } else {
        pause_fd = bpf_map_get_fd_by_id((__u32)atoi(argv[1]));
        if (pause_fd < 0) {
            perror("windowed_spawn: bpf_map_get_fd_by_id");
            return 1;
        }
    }
    double* slow = calloc((size_t)pairs, sizeof(double));
    double* on_rates = calloc((size_t)pairs, sizeof(double));
    double* off_rates = calloc((size_t)pairs, sizeof(double));
    if (!slow || !on_rates || !off_rates) return 1;
    storm(window);  // warm-up
    for (int p = 0; p < pairs; p++) {
        double rate[2];
        // ABBA: even pairs measure on first, odd pairs off first.
        for (int k = 0; k < 2; k++) {
            int on = (p % 2 == 0) ? (k == 0) : (k == 1);
            if (set_monitoring(on) != 0) {
                fprintf(stderr, "windowed_spawn: cannot switch the programs %s\n",
                        on ? "on" : "off");
                return 1;
            }
            storm(window / 10);  // let the switch settle, untimed
            rate[on] = storm(window);
        }
        on_rates[p] = rate[1];
        off_rates[p] = rate[0];
        slow[p] = (1 - rate[1] / rate[0]) * 100;
    }
    set_monitoring(1);
    qsort(slow, (size_t)pairs, sizeof(double), cmp);
    qsort(on_rates, (size_t)pairs, sizeof(double), cmp);
    qsort(off_rates, (size_t)pairs, sizeof(double), cmp);
    int k = (int)((pairs - 1.645 * __builtin_sqrt(pairs)) / 2);
    if (k < 1) k = 1;
    printf(
        "slowdown %.2f %% (90 %% interval %.2f .. %.2f), on %.0f/s, off %.0f/s, %d pairs of %.0f "
        "ms\n",
        slow[pairs / 2], slow[k - 1], slow[pairs - k], on_rates[pairs / 2], off_rates[pairs / 2],
        pairs, window * 1000);
    if (floor_skel) empty_hooks__destroy(floor_skel);
    if (record_skel) {
        draining = 0;
        pthread_join(drainer, NULL);
        ring_buffer__free(rb);
        fprintf(stderr, "windowed_spawn: %lu records read, %llu failed reserves\n", records_read,
                (unsigned long long)record_skel->bss->failed_reserves);
        record_hooks__destroy(record_skel);
    }
    return 0;
}
