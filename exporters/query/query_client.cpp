#include "query_client.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hupwatch {
namespace {

// Closes the socket whatever way ask_daemon leaves.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

// Reads until `buf` holds `want` bytes; false when the peer closes first.
bool read_until(int fd, std::string& buf, std::size_t want) {
    char chunk[65536];
    while (buf.size() < want) {
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buf.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

std::optional<QueryAnswer> ask_daemon(const std::string& path, const QueryRequest& request,
                                      std::chrono::seconds timeout, AskFailure& failure,
                                      std::string& error) {
    failure = AskFailure::Broken;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
        error = fmt::format("hupwatch: --query.socket '{}': empty or too long", path);
        return std::nullopt;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    Fd s{socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (s.fd < 0 || connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        const int e = errno;
        if (e == ENOENT || e == ECONNREFUSED) failure = AskFailure::NoDaemon;
        error = fmt::format("no hupwatch daemon answers on {} ({})", path, std::strerror(e));
        return std::nullopt;
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count());
    setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    const std::string line = encode_request(request);
    if (send(s.fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
        error = fmt::format("sending the query to {} failed: {}", path, std::strerror(errno));
        return std::nullopt;
    }
    std::string buf;
    std::size_t nl;
    while ((nl = buf.find('\n')) == std::string::npos) {
        if (buf.size() > kMaxHeaderBytes || !read_until(s.fd, buf, buf.size() + 1)) {
            error = fmt::format("the daemon on {} did not answer", path);
            return std::nullopt;
        }
    }
    auto header = decode_answer_header(std::string_view(buf).substr(0, nl), error);
    if (!header) return std::nullopt;
    const std::size_t body = nl + 1;
    if (!read_until(s.fd, buf, body + header->out_bytes + header->err_bytes)) {
        error = fmt::format("the daemon's answer on {} was cut short", path);
        return std::nullopt;
    }
    failure = AskFailure::None;
    return QueryAnswer{header->exit_code, buf.substr(body, header->out_bytes),
                       buf.substr(body + header->out_bytes, header->err_bytes)};
}

}  // namespace hupwatch
