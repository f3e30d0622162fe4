// The HTTP endpoint Prometheus scrapes, on libmicrohttpd: one internal epoll
// thread serves every connection, so slow or idle clients cost a socket, not
// a thread, and hard limits bound what any client can make it hold.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

struct MHD_Daemon;

namespace hupwatch {

struct EndpointLimits {
    unsigned connection_timeout_s = 10;  // a client that sends nothing is dropped
    unsigned connection_limit = 512;     // further connections are refused
    // Per connection, for the request line and headers: an oversized request
    // gets 4xx instead of growing memory.
    std::size_t connection_memory_limit = 32 * 1024;
};

// A parsed --web.listen-address.
struct ListenAddress {
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    bool any_dual_stack = false;  // ":port": IPv6 any with IPv4 mapped, IPv4 any as fallback
};

// "127.0.0.1:9776", "[::1]:9776", ":9776" (every interface), "localhost:9776".
// Port 0 picks a free port. On failure, a one-line error naming the text.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error);

class PrometheusEndpoint {
   public:
    using Render = std::function<std::string()>;

    // `render` is called on the HTTP thread for every scrape: it must be
    // thread-safe and must not wait on the event thread.
    PrometheusEndpoint(std::string listen_address, std::string telemetry_path, Render render,
                       EndpointLimits limits = {});
    ~PrometheusEndpoint();
    PrometheusEndpoint(const PrometheusEndpoint&) = delete;
    PrometheusEndpoint& operator=(const PrometheusEndpoint&) = delete;

    // Binds and starts serving. On failure, a one-line error such as
    // "hupwatch: cannot listen on 127.0.0.1:9776: Address already in use".
    bool start(std::string& error);
    void stop();
    // The bound port (the chosen one for port 0); 0 when not started.
    std::uint16_t port() const { return port_; }

   private:
    struct Handler;

    std::string listen_address_;
    std::string telemetry_path_;
    Render render_;
    EndpointLimits limits_;
    MHD_Daemon* daemon_ = nullptr;
    std::uint16_t port_ = 0;
};

}  // namespace hupwatch
