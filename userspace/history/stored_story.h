// The stored story of a window, for `replay`: hupwatch's own starts, stops
// and blind spots, the events and the findings, in time order, each once.
// Lines decode into the live path's types (json_decoder.h) and render
// through the same sentences as `why` (story_sentence.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "event_store_reader.h"

namespace hupwatch {

struct StoryLine {
    std::int64_t wall_ns = 0;
    std::string text;  // "14:03:07 sleep 901 killed by SIGHUP after 4s (...)"
    std::string json;  // the stored line (docs/events.md), or a run/gap line
};

struct StoryOptions {
    bool json = false;  // JSON keeps every stored line: they are data, not prose
    std::int64_t now_wall_ns = 0;
};

struct Story {
    std::vector<StoryLine> lines;
    std::size_t undecodable = 0;  // stored lines that did not decode (printed raw)
    std::string last_error;
};

// Throws StoreError.
Story tell_story(EventStoreReader& store, const StoreFilter& filter, const StoryOptions& options);

}  // namespace hupwatch
