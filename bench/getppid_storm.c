// getppid() storm: the cheapest syscall in a loop for a fixed time; prints
// syscalls per second on stdout. No hupwatch hook fires on it, so any
// slowdown is a tax on every syscall of the host: what a sys_enter/sys_exit
// hook costs (SYSCALL_WORK_SYSCALL_TRACEPOINT sends every syscall through
// syscall_trace_enter()/syscall_exit_work(), kernel/entry/common.c).
// syscall(2), not getppid(3): no libc may answer from a cache.
//
// Usage: getppid_storm [seconds=3]
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    double start = now(), end = start + seconds, t = start;
    unsigned long ops = 0;
    long sink = 0;
    while (t < end) {
        for (int i = 0; i < 4096; i++) sink += syscall(SYS_getppid);
        ops += 4096;
        t = now();
    }
    if (sink == 0) return 1;  // keeps the calls; a parent always exists
    printf("%.0f\n", (double)ops / (t - start));
    return 0;
}
