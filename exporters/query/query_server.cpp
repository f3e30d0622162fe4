#include "query_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace hupwatch {
namespace {

constexpr std::size_t kMaxDrainBytes = 65536;

bool socket_address(const std::string& path, sockaddr_un& addr, std::string& error) {
    addr = {};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
        error = fmt::format("hupwatch: --query.socket '{}': empty or longer than {} bytes", path,
                            sizeof(addr.sun_path) - 1);
        return false;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return true;
}

// Another server answers on `addr`.
bool answers(const sockaddr_un& addr) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

void set_timeout(int fd, int option, std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv));
}

bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

QueryServer::QueryServer(QueryServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

QueryServer::~QueryServer() {
    stop();
}

bool QueryServer::start(std::string& error) {
    sockaddr_un addr;
    if (!socket_address(options_.path, addr, error)) return false;
    std::error_code ec;
    auto dir = std::filesystem::path(options_.path).parent_path();
    if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
        std::filesystem::create_directories(dir, ec);
        if (!ec) chmod(dir.c_str(), 0755);
    }
    struct stat st {};
    if (lstat(options_.path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            error = fmt::format("hupwatch: --query.socket {} exists and is not a socket",
                                options_.path);
            return false;
        }
        if (answers(addr)) {
            error = fmt::format("hupwatch: another hupwatch answers on {} (--query.socket)",
                                options_.path);
            return false;
        }
        unlink(options_.path.c_str());  // a stale socket of a run that died
    }
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bound_ =
        listen_fd_ >= 0 && bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (!bound_ || chmod(options_.path.c_str(), 0666) != 0 || listen(listen_fd_, 16) != 0 ||
        pipe2(stop_pipe_, O_CLOEXEC) != 0) {
        error = fmt::format("hupwatch: cannot listen on {} (--query.socket): {}", options_.path,
                            std::strerror(errno));
        stop();
        return false;
    }
    for (unsigned i = 0; i < options_.workers; ++i)
        workers_.emplace_back([this] { worker_loop(); });
    acceptor_ = std::thread([this] { accept_loop(); });
    return true;
}

void QueryServer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (stop_pipe_[1] >= 0) (void)!write(stop_pipe_[1], "x", 1);
    if (acceptor_.joinable()) acceptor_.join();
    for (auto& w : workers_)
        if (w.joinable()) w.join();
    workers_.clear();
    for (int fd : waiting_) close(fd);
    waiting_.clear();
    for (int* fd : {&listen_fd_, &stop_pipe_[0], &stop_pipe_[1]}) {
        if (*fd >= 0) close(*fd);
        *fd = -1;
    }
    // Only our own socket: a start that found another server's leaves it.
    if (bound_) unlink(options_.path.c_str());
    bound_ = false;
}

QueryServer::Counters QueryServer::counters() const {
    return {answered_.load(), bad_requests_.load(), refused_.load(), failed_.load()};
}

void QueryServer::accept_loop() {
    for (;;) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
        if (fds[1].revents != 0) return;
        if ((fds[0].revents & POLLIN) == 0) continue;
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            // Out of descriptors: the connection stays queued; do not spin.
            if (errno == EMFILE || errno == ENFILE)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        std::unique_lock lock(mutex_);
        if (waiting_.size() >= options_.max_waiting) {
            lock.unlock();
            refuse(fd);
            continue;
        }
        waiting_.push_back(fd);
        lock.unlock();
        wake_.notify_one();
    }
}

void QueryServer::refuse(int fd) {
    ++refused_;
    // Never wait for this client: one try, then close.
    std::string answer = encode_answer(
        error_answer(1, "hupwatch: the daemon is busy with other queries; try again"));
    (void)!send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
}

void QueryServer::worker_loop() {
    for (;;) {
        int fd;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
            if (stopping_) return;
            fd = waiting_.front();
            waiting_.pop_front();
        }
        serve(fd);
        close(fd);
    }
}

bool QueryServer::read_request(int fd, std::string& line, std::string& error) {
    const auto deadline = std::chrono::steady_clock::now() + options_.request_timeout;
    char buf[1024];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            error = "timed out";
            return false;
        }
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) {
            error = "the client went away";
            return false;
        }
        line.append(buf, static_cast<std::size_t>(n));
        if (auto nl = line.find('\n'); nl != std::string::npos) {
            line.resize(nl);
            return true;
        }
        if (line.size() > kMaxRequestBytes) {
            error = "oversized";
            return true;  // decode_request says so to the client
        }
    }
}

void QueryServer::serve(int fd) {
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        ++failed_;
        return;
    }
    set_timeout(fd, SO_SNDTIMEO, options_.send_timeout);
    std::string line, error;
    if (!read_request(fd, line, error)) {
        ++failed_;
        return;
    }
    QueryAnswer answer;
    if (auto request = decode_request(line, error)) {
        try {
            answer = handler_(*request, QueryCaller{cred.pid, cred.uid, cred.gid});
        } catch (const std::exception& e) {
            answer = error_answer(1, fmt::format("hupwatch: the query failed: {}", e.what()));
        }
        ++answered_;
    } else {
        ++bad_requests_;
        answer = error_answer(2, "hupwatch: bad query: " + error);
    }
    if (!send_all(fd, encode_answer(answer))) {
        ++failed_;
        return;
    }
    // Closing with unread input (an oversized request) resets the
    // connection, and the client would lose the answer: drain a little.
    shutdown(fd, SHUT_WR);
    char sink[4096];
    std::size_t drained = 0;
    for (pollfd p{fd, POLLIN, 0}; drained < kMaxDrainBytes && poll(&p, 1, 100) == 1;) {
        ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n <= 0) break;
        drained += static_cast<std::size_t>(n);
    }
}

}  // namespace hupwatch
