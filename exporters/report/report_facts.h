// Facts about one process that several parts of the page need, computed
// in one place: its verdict's name and cause, how it ended, whether it is
// a job, whether it is at risk at the end, and its `why` card.
#pragma once

#include <string>

#include "report_page.h"
#include "report_window.h"

namespace hupwatch {

// The latest verdict on it, or nullptr.
const Verdict* last_verdict(const ProcessLife& p);
// kill cause for `killed`, the survival reason for `orphaned` (its cause,
// parent_exit, when there was no hangup to survive), else empty.
std::string verdict_cause(const Verdict& v);
// The summary's key for a death verdict ("killed_by_disconnect",
// "killed: operator"), or for an orphan verdict ("sighup_ignored",
// "daemonized"); empty for the other kind.
std::string killed_key(const Verdict& v);
std::string orphaned_key(const Verdict& v);
// "SIGHUP", "exit 0", "exit unseen" (its exit was not recorded), "" while
// running.
std::string death_label(const ProcessLife& p);
// A job: a process-group leader under a session leader's job control, or a
// process a verdict names.
bool is_job(const ProcessLife& p);
// What a hangup of its session would do to it at the end of the window, by
// the recorded facts (track's assess_risk; the SIGHUP disposition only as
// far as signal results show it).
bool at_risk_at_end(const ProcessLife& p, bool session_hung_up);
// "comm pid"
std::string process_label(const ProcessLife& p);
WhyCard why_card(const ProcessLife& p);

}  // namespace hupwatch
