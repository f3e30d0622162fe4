// libFuzzer target: the metrics endpoint's request handling. Each input is
// sent as raw bytes over a real loopback connection to one PrometheusEndpoint
// (libmicrohttpd plus our handler), and the reply read until the server
// closes or a short timeout passes. The server must answer or close, never
// crash or hang.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "prometheus_endpoint.h"

namespace {

hupwatch::PrometheusEndpoint& endpoint() {
    static auto server = [] {
        auto s = std::make_unique<hupwatch::PrometheusEndpoint>(
            "127.0.0.1:0", "/metrics", [] { return std::string("hupwatch_up 1\n"); });
        std::string error;
        if (!s->start(error)) __builtin_trap();
        return s;
    }();
    return *server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(endpoint().port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
        (void)!::send(fd, data, size, MSG_NOSIGNAL);
        ::shutdown(fd, SHUT_WR);
        char buf[4096];
        pollfd p{fd, POLLIN, 0};
        while (::poll(&p, 1, 200) > 0 && ::recv(fd, buf, sizeof(buf), 0) > 0) {
        }
    }
    ::close(fd);
    return 0;
}
