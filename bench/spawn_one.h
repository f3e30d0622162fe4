// The spawn storm's unit, shared by spawn_storm.c and windowed_spawn.c: one
// process through vfork(), _exit(0) and waitpid(). vfork, because fork() is
// slow on these machines (~1.5k/s) and the point is the per-process cost of
// monitoring (fork, exit, and wait's reaping), not page-table copies.
#ifndef HUPWATCH_BENCH_SPAWN_ONE_H
#define HUPWATCH_BENCH_SPAWN_ONE_H

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Its own frame, so that no caller's local is live across vfork(): the child
// borrows this stack until _exit(). 0, or -1 when vfork or waitpid failed.
static __attribute__((noinline)) int spawn_one(void) {
    pid_t pid = vfork();
    if (pid == 0) _exit(0);
    if (pid < 0) return -1;
    return waitpid(pid, NULL, 0) == pid ? 0 : -1;
}

#endif
