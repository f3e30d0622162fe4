// Events and findings as plain sentences, for replay and why: "ssh session
// 815 of alice on pts/3 hung up (sshd 812); leader bash 815", "bash 815
// forwarded SIGHUP to sleep 901", "sleep 901 killed by SIGHUP after 12m40s".
// Typed, like every other renderer: the store's lines come back through the
// one decoder (json_decoder.h) first. Traced bytes are escaped for the
// terminal.
#pragma once

#include <string>
#include <string_view>

#include "events.h"
#include "findings.h"

namespace hupwatch {

// How a sentence names its subject: "sleep 901". The caller may know the
// process by an earlier name (the story's names, at the moment the sentence
// is about); `earlier_comm` then leads: "bash 901 (later sleep)".
std::string process_phrase(std::string_view comm, std::uint32_t pid,
                           std::string_view earlier_comm = {});

std::string story_sentence(const Event& event, std::string_view subject_comm = {});
std::string story_sentence(const Finding& finding, std::string_view subject_comm = {});

// A verdict as why, replay and report state it: "killed_by_disconnect:
// sleep 901 killed by SIGHUP after 4s (disconnect of session 815)".
std::string verdict_line(const Verdict& verdict);

// Whether a finding is a verdict on a death, which tells the exit again.
bool tells_death(const Finding& finding);

}  // namespace hupwatch
