#include "query_client.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hupwatch {
namespace {

using Clock = std::chrono::steady_clock;

// Closes the socket whatever way ask_daemon leaves.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

// Both socket timeouts set to what is left before the deadline, so that no
// connect, send or recv (nor a daemon trickling bytes) outlasts it; false
// once it has passed.
bool arm(int fd, Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(left / 1'000'000);
    tv.tv_usec = static_cast<suseconds_t>(left % 1'000'000);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return true;
}

enum class Read { Done, Closed, TimedOut };

// Reads until `buf` holds `want` bytes.
Read read_until(int fd, std::string& buf, std::size_t want, Clock::time_point deadline) {
    char chunk[65536];
    while (buf.size() < want) {
        if (!arm(fd, deadline)) return Read::TimedOut;
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n <= 0) return Read::Closed;
        buf.append(chunk, static_cast<std::size_t>(n));
    }
    return Read::Done;
}

std::string no_answer(const std::string& path, std::chrono::seconds timeout) {
    return fmt::format("no hupwatch daemon answered on {} within {} s", path, timeout.count());
}

}  // namespace

std::optional<QueryAnswer> ask_daemon(const std::string& path, const QueryRequest& request,
                                      std::chrono::seconds timeout, AskFailure& failure,
                                      std::string& error) {
    const auto deadline = Clock::now() + timeout;
    failure = AskFailure::Broken;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
        error = fmt::format("hupwatch: --query.socket '{}': empty or too long", path);
        return std::nullopt;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    Fd s{socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    // A listener whose backlog is full makes connect wait: SO_SNDTIMEO bounds it.
    if (s.fd < 0 || !arm(s.fd, deadline) ||
        connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        const int e = errno;
        if (e == EAGAIN || e == EINPROGRESS || e == ETIMEDOUT) {
            failure = AskFailure::NoDaemon;
            error = no_answer(path, timeout);
            return std::nullopt;
        }
        if (e == ENOENT || e == ECONNREFUSED) failure = AskFailure::NoDaemon;
        error = fmt::format("no hupwatch daemon answers on {} ({})", path, std::strerror(e));
        return std::nullopt;
    }
    const std::string line = encode_request(request);
    if (send(s.fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
        const int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK) {
            failure = AskFailure::NoDaemon;
            error = no_answer(path, timeout);
            return std::nullopt;
        }
        error = fmt::format("sending the query to {} failed: {}", path, std::strerror(e));
        return std::nullopt;
    }
    std::string buf;
    std::size_t nl;
    while ((nl = buf.find('\n')) == std::string::npos) {
        const Read read = buf.size() > kMaxHeaderBytes
                              ? Read::Closed
                              : read_until(s.fd, buf, buf.size() + 1, deadline);
        if (read == Read::TimedOut) {
            failure = AskFailure::NoDaemon;
            error = no_answer(path, timeout);
            return std::nullopt;
        }
        if (read != Read::Done) {
            error = fmt::format("the daemon on {} did not answer", path);
            return std::nullopt;
        }
    }
    auto header = decode_answer_header(std::string_view(buf).substr(0, nl), error);
    if (!header) return std::nullopt;
    const std::size_t body = nl + 1;
    const Read read = read_until(s.fd, buf, body + header->out_bytes + header->err_bytes, deadline);
    if (read != Read::Done) {
        error = read == Read::TimedOut
                    ? fmt::format("the daemon's answer on {} did not come whole within {} s", path,
                                  timeout.count())
                    : fmt::format("the daemon's answer on {} was cut short", path);
        return std::nullopt;
    }
    failure = AskFailure::None;
    return QueryAnswer{header->exit_code, buf.substr(body, header->out_bytes),
                       buf.substr(body + header->out_bytes, header->err_bytes)};
}

}  // namespace hupwatch
