// Disconnects, session ends and verdicts to the systemd journal with
// structured fields: MESSAGE (the human line), PRIORITY, SYSLOG_IDENTIFIER,
// MESSAGE_ID (one per finding type, explained by deploy/journald/
// hupwatch.catalog) and HUPWATCH_<KEY> for every key of the finding's JSON,
// fleet fields included (HUPWATCH_HOST, _BOOT_ID, _SEQ; docs/events.md).
// Raw events stay out: they are too many for a journal.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "boot_clock.h"
#include "event_sink.h"
#include "fleet_fields.h"

namespace hupwatch {

class JournaldSink : public EventSink {
   public:
    static constexpr const char* kJournalSocket = "/run/systemd/journal/socket";
    explicit JournaldSink(HostIdentity identity = HostIdentity::of_this_host(),
                          std::string socket_path = kJournalSocket)
        : socket_path_(std::move(socket_path)), identity_(std::move(identity)) {}
    void on_event(const Event&) override {}
    void on_finding(const Finding& finding) override;

    // The fields the next finding becomes (it gets the next seq); public so
    // that tests can check them.
    std::vector<std::pair<std::string, std::string>> fields(const Finding& finding) const;

    // At start: whether journald's socket is there. Without it every
    // finding is lost (sd_journal_sendv drops it and reports success): a
    // one-line warning in `warning` (false); the losses are then counted,
    // not logged again.
    bool check(std::string& warning);

    std::uint64_t sent() const { return sent_; }
    std::uint64_t errors() const { return errors_; }

   private:
    // The reason the journal cannot take a finding now; empty when it can.
    std::string unavailable() const;

    std::string socket_path_;
    BootClock clock_;
    HostIdentity identity_;
    LineSequence seq_;  // every entry tried, sent or not: a failed send is a gap
    std::uint64_t sent_ = 0;
    std::uint64_t errors_ = 0;
    bool warned_ = false;  // the failure was told at start
};

}  // namespace hupwatch
