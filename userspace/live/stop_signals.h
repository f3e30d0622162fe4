// SIGINT and SIGTERM end the main loop cleanly: the handler only sets a flag
// and, having no SA_RESTART, interrupts the blocking poll.
#pragma once

namespace hupwatch {

void install_stop_signals();
bool stop_requested();

// The daemon never dies of SIGHUP: it asks to reopen log files instead.
void install_reload_signal();
bool take_reload_request();  // true once per SIGHUP received

}  // namespace hupwatch
