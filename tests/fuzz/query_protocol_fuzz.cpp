// libFuzzer target: the query socket (exporters/query, userspace/cli/
// query_dispatch). Each input is sent as raw bytes over a real unix socket to
// one QueryServer whose handler is the daemon's: the request decoded, its
// arguments parsed by the reader commands' own options, the command run for
// an unprivileged caller (on a store that does not exist, so every input
// ends in an answer quickly). The server must answer or close, never crash
// or hang; an answer must be a well-formed one.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "query_dispatch.h"
#include "query_server.h"

namespace {

std::string socket_path() {
    return "/tmp/hupwatch-query-fuzz-" + std::to_string(getpid()) + ".sock";
}

void start_server() {
    static auto server = [] {
        hupwatch::QueryServerOptions options;
        options.path = socket_path();
        options.request_timeout = std::chrono::milliseconds(200);
        auto s = std::make_unique<hupwatch::QueryServer>(
            options, [](const hupwatch::QueryRequest& r, const hupwatch::QueryCaller&) {
                return hupwatch::answer_query(r, hupwatch::QueryCaller{0, 1000, 1000},
                                              "/nonexistent/hupwatch-fuzz.db");
            });
        std::string error;
        if (!s->start(error)) __builtin_trap();
        return s;
    }();
    (void)server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    start_server();
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = socket_path();
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    std::string reply;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
        (void)!::send(fd, data, size, MSG_NOSIGNAL);
        ::shutdown(fd, SHUT_WR);
        char buf[4096];
        pollfd p{fd, POLLIN, 0};
        ssize_t n;
        while (::poll(&p, 1, 2000) > 0 && (n = ::recv(fd, buf, sizeof(buf), 0)) > 0)
            reply.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (!reply.empty()) {
        auto nl = reply.find('\n');
        std::string error;
        auto header = nl == std::string::npos ? std::nullopt
                                              : hupwatch::decode_answer_header(
                                                    std::string_view(reply).substr(0, nl), error);
        if (!header || reply.size() != nl + 1 + header->out_bytes + header->err_bytes)
            __builtin_trap();
    }
    return 0;
}
