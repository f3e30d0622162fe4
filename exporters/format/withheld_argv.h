// A stored finding as an ordinary user may see it over the query socket
// (docs/cli.md, "Answers for ordinary users"). A verdict on the caller's own
// process names the process that killed it, and that process may be another
// user's (root's `bash -c 'kill ...; --password=...'`): its command line is
// that user's, and withheld, as issue 13 asks. Its pid, comm and user stay:
// who killed the job is the caller's to know.
#pragma once

#include <string>
#include <string_view>

namespace hupwatch {

// The finding's JSON line with the killer's argv withheld unless the killer
// ran as `caller` or from the caller's login (killer_user or
// killer_login_user is `caller`): killer_argv becomes [] (as for a killer
// whose argv was never seen), the summary is said again without it, and
// any evidence detail that quoted it names the killer's comm instead. Any
// other line comes back as it was. Never throws.
std::string withhold_others_argv(std::string json_line, std::string_view caller);

}  // namespace hupwatch
