// Attaches bench/floor.bpf.c, prints "empty_hooks: attached", and
// holds the programs until SIGINT or SIGTERM. Usage: empty_hooks (as root)
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "empty_hooks.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

int main(void) {
    struct empty_hooks* skel = empty_hooks__open_and_load();
    if (!skel) {
        fprintf(stderr, "empty_hooks: cannot load the programs\n");
        return 1;
    }
    if (empty_hooks__attach(skel) != 0) {
        fprintf(stderr, "empty_hooks: cannot attach the programs\n");
        empty_hooks__destroy(skel);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("empty_hooks: attached\n");
    fflush(stdout);
    while (!stop) pause();
    empty_hooks__destroy(skel);
    return 0;
}
