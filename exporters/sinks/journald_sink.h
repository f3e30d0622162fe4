// Disconnects, session ends and verdicts to the systemd journal with
// structured fields: MESSAGE (the human line), PRIORITY, SYSLOG_IDENTIFIER,
// and HUPWATCH_<KEY> for every key of the finding's JSON (docs/events.md).
// Raw events stay out: they are too many for a journal.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "boot_clock.h"
#include "event_sink.h"

namespace hupwatch {

class JournaldSink : public EventSink {
   public:
    void on_event(const Event&) override {}
    void on_finding(const Finding& finding) override;

    // The fields one finding becomes; public so that tests can check them.
    std::vector<std::pair<std::string, std::string>> fields(const Finding& finding) const;

    std::uint64_t sent() const { return sent_; }
    std::uint64_t errors() const { return errors_; }

   private:
    BootClock clock_;
    std::uint64_t sent_ = 0;
    std::uint64_t errors_ = 0;
};

}  // namespace hupwatch
