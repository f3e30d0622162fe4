// Spawn storm: vfork + _exit + waitpid in a loop for a fixed time; prints
// processes per second on stdout. vfork, because fork() is slow on these
// machines (~1.5k/s) and the point is the per-process cost of monitoring
// (fork, exit, and wait's reaping), not page-table copies.
//
// Usage: spawn_storm [seconds=3]
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn_one.h"

int main(int argc, char** argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    double start = now(), end = start + seconds, t = start;
    unsigned long ops = 0;
    while (t < end) {
        for (int i = 0; i < 64; i++) {
            if (spawn_one() != 0) {
                perror("spawn_storm: vfork/waitpid");
                return 1;
            }
        }
        ops += 64;
        t = now();
    }
    printf("%.0f\n", (double)ops / (t - start));
    return 0;
}
