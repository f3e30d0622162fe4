// Drains the BPF ring buffer and hands each decoded event to a callback. A
// bad record is counted and skipped; it never stops the drain.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "events.h"

struct ring_buffer;

namespace hupwatch {

class RingReader {
   public:
    using EventHandler = std::function<void(const Event&)>;

    // Throws std::runtime_error when the ring buffer cannot be set up.
    RingReader(int ring_buffer_fd, EventHandler handler);
    ~RingReader();
    RingReader(const RingReader&) = delete;
    RingReader& operator=(const RingReader&) = delete;

    // Waits up to timeout_ms for records and handles all that are ready.
    // Returns the number handled, or a negative errno (-EINTR on a signal).
    int poll(int timeout_ms);
    // The two halves of poll(): wait for a wakeup (handling the rings that
    // woke), then drain every ring whether it woke or not.
    int wait(int timeout_ms);
    int drain();

    std::uint64_t records_read() const { return records_read_; }
    std::uint64_t records_malformed() const { return records_malformed_; }
    const std::string& last_error() const { return last_error_; }

   private:
    static int on_record(void* ctx, void* data, std::size_t size);

    EventHandler handler_;
    struct ring_buffer* ring_ = nullptr;
    std::uint64_t records_read_ = 0;
    std::uint64_t records_malformed_ = 0;
    std::string last_error_;
};

}  // namespace hupwatch
