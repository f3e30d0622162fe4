#include "stop_signals.h"

#include <csignal>

namespace hupwatch {
namespace {
volatile std::sig_atomic_t g_stop_signal = 0;

volatile std::sig_atomic_t g_reload = 0;

void on_stop(int sig) {
    g_stop_signal = sig;
}
void on_reload(int) {
    g_reload = 1;
}
}  // namespace

void install_stop_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    // A closed stdout must be an error we handle, not a silent death.
    signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() {
    return g_stop_signal != 0;
}

void install_reload_signal() {
    struct sigaction sa {};
    sa.sa_handler = on_reload;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGHUP, &sa, nullptr);
}

bool take_reload_request() {
    if (!g_reload) return false;
    g_reload = 0;
    return true;
}

}  // namespace hupwatch
