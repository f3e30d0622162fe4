// Where the live path delivers: every raw event, then the findings it
// settles. Sinks (the watch printer, JSON files, journald, metrics, the
// store) implement this; they run on the event thread and must not block.
#pragma once

#include "events.h"
#include "findings.h"

namespace hupwatch {

class EventSink {
   public:
    virtual ~EventSink() = default;
    virtual void on_event(const Event& event) = 0;
    virtual void on_finding(const Finding& finding) = 0;
};

}  // namespace hupwatch
