// Events and findings as JSON lines (the schema of docs/events.md) to a file
// or stdout, with size-based rotation. Lines are buffered whole and written
// whole, so no line is ever split across files or lost to a rotation. Each
// line ends with the fleet fields host, boot_id and seq (fleet_fields.h).
#pragma once

#include <cstdint>
#include <string>

#include "boot_clock.h"
#include "event_sink.h"
#include "fleet_fields.h"

namespace hupwatch {

struct JsonLinesOptions {
    std::string path;                       // "-" for stdout
    std::uint64_t max_size = 100ULL << 20;  // rotate before a file would exceed this; 0: never
    unsigned max_files = 5;                 // rotated files kept: path.1 .. path.N
};

class JsonLinesSink : public EventSink {
   public:
    explicit JsonLinesSink(JsonLinesOptions options,
                           HostIdentity identity = HostIdentity::of_this_host());
    ~JsonLinesSink() override;
    JsonLinesSink(const JsonLinesSink&) = delete;
    JsonLinesSink& operator=(const JsonLinesSink&) = delete;

    // Opens the file (creating its directory's file, appending). One-line error.
    bool open(std::string& error);
    void on_event(const Event& event) override;
    void on_finding(const Finding& finding) override;
    // Writes buffered lines; the daemon calls it every loop turn and at exit.
    void flush();
    // Closes and reopens the path, for an external logrotate (SIGHUP).
    bool reopen(std::string& error);

    std::uint64_t lines_written() const { return lines_written_; }
    std::uint64_t write_errors() const { return write_errors_; }
    std::uint64_t rotations() const { return rotations_; }

   private:
    void append(std::string line);
    void rotate();
    bool open_path(std::string& error);

    JsonLinesOptions options_;
    BootClock clock_;
    HostIdentity identity_;
    LineSequence seq_;  // one per output: counts every line, written or lost
    int fd_ = -1;
    std::uint64_t file_size_ = 0;
    std::string buffer_;
    std::uint64_t buffered_lines_ = 0;
    std::uint64_t lines_written_ = 0;
    std::uint64_t write_errors_ = 0;
    std::uint64_t rotations_ = 0;
};

}  // namespace hupwatch
