// What a command writes to its stdout and stderr. fmt::print throws
// std::system_error when the stream is gone (`hupwatch watch 2>&1 | head -1`
// closes both); these never throw, and say whether the write landed, so a
// command can end with exit 1 and nothing further to write (docs/cli.md).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>

namespace hupwatch {

// While one lives, what this thread writes through write_stdout and
// write_stderr (and say) goes into it instead of the streams: the query
// socket runs a reader command for a caller and sends its output back
// (query_dispatch.h). Other threads keep writing to the streams.
class ConsoleCapture {
   public:
    ConsoleCapture();
    ~ConsoleCapture();
    ConsoleCapture(const ConsoleCapture&) = delete;
    ConsoleCapture& operator=(const ConsoleCapture&) = delete;

    std::string out;
    std::string err;

   private:
    ConsoleCapture* previous_;
};

// The whole text, flushed; false when any of it could not be written.
bool write_stdout(std::string_view text);
bool write_stderr(std::string_view text);

// write_stdout for a stream that must still stop when asked while its
// reader has stopped reading (a full pipe blocks write(2) for good, and a
// signal that interrupts it after a partial write is lost to a retry). It
// writes a chunk at a time once poll says there is room, and asks
// give_up() whenever it waits. false: a write failed (errno set). true:
// written, or given up with `unwritten` bytes left.
bool write_stdout_unless(std::string_view text, bool (*give_up)(), std::size_t& unwritten);

// stdout is a pipe or socket whose reader has gone (or a hung-up terminal):
// what a writer learns otherwise only from its next write, which a quiet
// stream may never make.
bool stdout_reader_gone();

// Lines cut to the terminal's width when stdout is a terminal, as ps does
// (a command line can be kilobytes); whole lines with `wide` (-w) or when
// stdout is not a terminal. The cut counts UTF-8 characters as columns.
std::string fit_to_terminal(std::string text, bool wide);
// The cut itself, for a given width.
std::string cut_lines(std::string_view text, std::size_t columns);

// One line on stderr: say("hupwatch: {} failed", what).
template <typename... T>
bool say(fmt::format_string<T...> format, T&&... args) {
    std::string line = fmt::format(format, std::forward<T>(args)...);
    line += '\n';
    return write_stderr(line);
}

}  // namespace hupwatch
