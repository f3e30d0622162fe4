// Hands every event and finding to several sinks in turn, on the event thread.
#pragma once

#include <vector>

#include "event_sink.h"

namespace hupwatch {

class FanoutSink : public EventSink {
   public:
    void add(EventSink& sink) { sinks_.push_back(&sink); }
    void on_event(const Event& event) override {
        for (auto* sink : sinks_) sink->on_event(event);
    }
    void on_finding(const Finding& finding) override {
        for (auto* sink : sinks_) sink->on_finding(finding);
    }

   private:
    std::vector<EventSink*> sinks_;
};

}  // namespace hupwatch
