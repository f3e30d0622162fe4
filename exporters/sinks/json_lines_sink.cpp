#include "json_lines_sink.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "event_json.h"
#include "finding_format.h"
#include "private_mode.h"

namespace hupwatch {
namespace {

constexpr std::size_t kFlushAt = 64 * 1024;

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

JsonLinesSink::JsonLinesSink(JsonLinesOptions options, HostIdentity identity)
    : options_(std::move(options)), identity_(std::move(identity)) {}

JsonLinesSink::~JsonLinesSink() {
    flush();
    if (fd_ > 2) ::close(fd_);
}

bool JsonLinesSink::open(std::string& error) {
    return open_path(error);
}

bool JsonLinesSink::open_path(std::string& error) {
    if (options_.path == "-") {
        fd_ = STDOUT_FILENO;
        file_size_ = 0;
        return true;
    }
    int fd =
        ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, kPrivateFileMode);
    if (fd < 0) {
        error = fmt::format("hupwatch: cannot open --events.json {}: {}", options_.path,
                            strerror(errno));
        return false;
    }
    // It holds every user's command lines, as the store does: a file an
    // older hupwatch (or logrotate's create) left readable is narrowed too.
    if (!make_open_file_private(fd)) {
        error = fmt::format("hupwatch: cannot make --events.json {} private (mode {:o}): {}",
                            options_.path, kPrivateFileMode, strerror(errno));
        ::close(fd);
        return false;
    }
    struct stat st {};
    file_size_ = fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    fd_ = fd;
    return true;
}

bool JsonLinesSink::reopen(std::string& error) {
    flush();
    if (options_.path == "-") return true;
    if (fd_ > 2) ::close(fd_);
    fd_ = -1;
    return open_path(error);
}

void JsonLinesSink::on_event(const Event& event) {
    append(to_json_line(event, clock_));
}

void JsonLinesSink::on_finding(const Finding& finding) {
    append(to_json_line(finding, clock_));
}

void JsonLinesSink::append(std::string object) {
    std::string line = with_fleet_fields(std::move(object), identity_, seq_.next());
    line += '\n';
    bool rotating = options_.path != "-" && options_.max_size > 0;
    if (rotating && file_size_ + buffer_.size() + line.size() > options_.max_size &&
        file_size_ + buffer_.size() > 0) {
        flush();
        rotate();
    }
    buffer_ += line;
    ++buffered_lines_;
    if (buffer_.size() >= kFlushAt) flush();
}

void JsonLinesSink::flush() {
    if (buffer_.empty() || fd_ < 0) return;
    if (write_all(fd_, buffer_.data(), buffer_.size())) {
        file_size_ += buffer_.size();
        lines_written_ += buffered_lines_;
    } else {
        // Counted and logged; the daemon's other sinks go on.
        if (write_errors_++ == 0)
            spdlog::error("writing events to {} failed: {}", options_.path, strerror(errno));
    }
    buffer_.clear();
    buffered_lines_ = 0;
}

// path.N-1 -> path.N, ..., path -> path.1; the oldest falls off the end.
void JsonLinesSink::rotate() {
    if (fd_ > 2) ::close(fd_);
    fd_ = -1;
    if (options_.max_files == 0) {
        ::unlink(options_.path.c_str());
    } else {
        for (unsigned i = options_.max_files; i > 1; --i) {
            std::string from = fmt::format("{}.{}", options_.path, i - 1);
            std::string to = fmt::format("{}.{}", options_.path, i);
            ::rename(from.c_str(), to.c_str());
        }
        ::rename(options_.path.c_str(), (options_.path + ".1").c_str());
    }
    ++rotations_;
    std::string error;
    if (!open_path(error)) {
        ++write_errors_;
        spdlog::error("{}", error);
    }
}

}  // namespace hupwatch
