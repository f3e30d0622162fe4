// Unmonitored-signal storm: kill(getpid(), SIGUSR2) with SIGUSR2 ignored, in
// a loop for a fixed time; prints signals per second on stdout. SIGUSR2 is
// outside hupwatch's monitored set, so this is what an unwatched signal
// costs: __send_signal_locked() still fires signal_generate (prepare_signal()
// says "ignored": result TRACE_SIGNAL_IGNORED), and every kill() passes
// raw_syscalls:sys_exit. Both programs must leave early.
//
// Usage: kill_storm [seconds=3]
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    if (signal(SIGUSR2, SIG_IGN) == SIG_ERR) {
        perror("kill_storm: signal");
        return 1;
    }
    pid_t self = getpid();
    double start = now(), end = start + seconds, t = start;
    unsigned long ops = 0;
    while (t < end) {
        for (int i = 0; i < 1024; i++) {
            if (kill(self, SIGUSR2) != 0) {
                perror("kill_storm: kill");
                return 1;
            }
        }
        ops += 1024;
        t = now();
    }
    printf("%.0f\n", (double)ops / (t - start));
    return 0;
}
