// Reads what a test's child prints (a pty master, a pipe) until a marker
// shows: the one loop behind PtySession, SshClientPty and SshCommand.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>

namespace hupwatch::test {

class MarkerReader {
   public:
    // A reader of a long stream (`hupwatch watch`) keeps no transcript.
    explicit MarkerReader(bool keep_transcript = true) : keep_transcript_(keep_transcript) {}

    // Waits until `marker` shows in what `fd` gave; returns everything up to
    // it and keeps the rest for the next wait. nullopt at the timeout, or
    // when the other side is gone (EOF, or EIO from a hung-up pty) or fd < 0.
    std::optional<std::string> wait_for(int fd, const std::string& marker,
                                        std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto at = buffer_.find(marker);
            if (at != std::string::npos) {
                std::string out = buffer_.substr(0, at + marker.size());
                buffer_.erase(0, at + marker.size());
                return out;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || fd < 0) return std::nullopt;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char chunk[65536];
            ssize_t n = read(fd, chunk, sizeof(chunk));
            if (n <= 0) return std::nullopt;
            buffer_.append(chunk, static_cast<std::size_t>(n));
            if (keep_transcript_) transcript_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    // Everything read so far, for failure messages (when kept).
    const std::string& transcript() const { return transcript_; }

   private:
    bool keep_transcript_;
    std::string buffer_;      // read, not yet returned
    std::string transcript_;  // everything read
};

}  // namespace hupwatch::test
