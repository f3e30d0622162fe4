#include "console.h"

#include <poll.h>
#include <stdio_ext.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace hupwatch {
namespace {

thread_local ConsoleCapture* capture = nullptr;

bool write_all(std::FILE* stream, std::string_view text) {
    bool ok = std::fwrite(text.data(), 1, text.size(), stream) == text.size();
    if (std::fflush(stream) != 0) ok = false;
    if (!ok) {
        // Drop what stayed buffered, or exit() would try it again on the
        // dead stream.
        __fpurge(stream);
        std::clearerr(stream);
    }
    return ok;
}

std::size_t terminal_columns() {
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
}

}  // namespace

ConsoleCapture::ConsoleCapture() : previous_(capture) {
    capture = this;
}

ConsoleCapture::~ConsoleCapture() {
    capture = previous_;
}

bool stdout_reader_gone() {
    pollfd fd{STDOUT_FILENO, 0, 0};  // POLLERR and POLLHUP are always reported
    return poll(&fd, 1, 0) == 1 && (fd.revents & (POLLERR | POLLHUP)) != 0;
}

std::string cut_lines(std::string_view text, std::size_t columns) {
    std::string out;
    out.reserve(text.size());
    std::size_t column = 0;
    bool cutting = false;
    for (char c : text) {
        if (c == '\n') {
            out += c;
            column = 0;
            cutting = false;
            continue;
        }
        // A UTF-8 continuation byte belongs to the character before it.
        bool continuation = (static_cast<unsigned char>(c) & 0xC0) == 0x80;
        if (!continuation && !cutting && ++column > columns) cutting = true;
        if (!cutting) out += c;
    }
    return out;
}

std::string fit_to_terminal(std::string text, bool wide) {
    // Captured output goes to a caller whose terminal is not ours.
    if (wide || capture || isatty(STDOUT_FILENO) != 1) return text;
    return cut_lines(text, terminal_columns());
}

bool write_stdout(std::string_view text) {
    if (capture) {
        capture->out += text;
        return true;
    }
    return write_all(stdout, text);
}

bool write_stdout_unless(std::string_view text, bool (*give_up)(), std::size_t& unwritten) {
    unwritten = 0;
    if (capture || std::fflush(stdout) != 0) return write_stdout(text);
    // A pipe that polls writable has a free page: a write of one page or
    // less then does not block.
    constexpr std::size_t kChunk = 4096;
    while (!text.empty()) {
        pollfd p{STDOUT_FILENO, POLLOUT, 0};
        int ready = ::poll(&p, 1, 100);
        if (ready <= 0 || !(p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            if (ready < 0 && errno != EINTR) return false;
            if (give_up()) {
                unwritten = text.size();
                return true;
            }
            continue;
        }
        ssize_t n = ::write(STDOUT_FILENO, text.data(), std::min(text.size(), kChunk));
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return false;
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool write_stderr(std::string_view text) {
    if (capture) {
        capture->err += text;
        return true;
    }
    return write_all(stderr, text);
}

}  // namespace hupwatch
