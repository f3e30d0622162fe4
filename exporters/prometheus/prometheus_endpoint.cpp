#include "prometheus_endpoint.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdarg>
#include <cstring>
#include <exception>

#include "html_escape.h"
#include "prometheus_text.h"

namespace hupwatch {
namespace {

constexpr const char* kAllowed = "GET, HEAD";

std::optional<ListenAddress> resolve_host(const std::string& host, std::uint16_t port,
                                          std::string& why) {
    // Names only reach here when they are not IP literals; /etc/hosts
    // answers "localhost" without a DNS round trip.
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
        why = fmt::format("cannot resolve '{}': {}", host, gai_strerror(rc));
        return std::nullopt;
    }
    // One socket only, as Go's net.Listen does: the first IPv4 result, else
    // the first IPv6 one.
    const addrinfo* pick = nullptr;
    for (const addrinfo* ai = found; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }
        if (ai->ai_family == AF_INET6 && !pick) pick = ai;
    }
    std::optional<ListenAddress> out;
    if (pick) {
        out.emplace();
        std::memcpy(&out->addr, pick->ai_addr, pick->ai_addrlen);
        out->addr_len = pick->ai_addrlen;
        if (pick->ai_family == AF_INET)
            reinterpret_cast<sockaddr_in*>(&out->addr)->sin_port = htons(port);
        else
            reinterpret_cast<sockaddr_in6*>(&out->addr)->sin6_port = htons(port);
    } else {
        why = fmt::format("'{}' has no IPv4 or IPv6 address", host);
    }
    freeaddrinfo(found);
    return out;
}

ListenAddress ipv4(in_addr addr, std::uint16_t port) {
    ListenAddress out;
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.addr);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr = addr;
    out.addr_len = sizeof(sockaddr_in);
    return out;
}

ListenAddress ipv6(in6_addr addr, std::uint16_t port) {
    ListenAddress out;
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    sin6->sin6_addr = addr;
    out.addr_len = sizeof(sockaddr_in6);
    return out;
}

// A bound, listening, non-blocking socket, or -errno.
int open_listener(const ListenAddress& address) {
    int family = address.addr.ss_family;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    // A restarted daemon must not fail on the old one's TIME_WAIT sockets.
    // (Linux still refuses a port another socket listens on.)
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == AF_INET6) {
        int v6only = address.any_dual_stack ? 0 : 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
    }
    if (bind(fd, reinterpret_cast<const sockaddr*>(&address.addr), address.addr_len) != 0 ||
        listen(fd, SOMAXCONN) != 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

std::uint16_t bound_port(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
    if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    return 0;
}

void log_from_mhd(void*, const char* format, va_list args) {
    char line[512];
    std::vsnprintf(line, sizeof(line), format, args);
    std::string_view text(line);
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    spdlog::debug("http: {}", text);
}

MHD_Result respond(MHD_Connection* connection, unsigned status, const std::string& body,
                   const char* content_type, bool allow_header = false) {
    MHD_Response* response = MHD_create_response_from_buffer(
        body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
    if (!response) return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (allow_header) MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, kAllowed);
    MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error) {
    auto fail = [&](std::string_view why) -> std::optional<ListenAddress> {
        error = fmt::format("hupwatch: bad listen address '{}': {}", text, why);
        return std::nullopt;
    };
    constexpr std::string_view kExpected = "expected host:port, e.g. 127.0.0.1:9776 or :9776";
    std::string_view host, port_text;
    bool bracketed = false;
    if (text.starts_with('[')) {
        auto close = text.find(']');
        if (close == std::string_view::npos) return fail("missing ']' after the IPv6 address");
        if (text.substr(close + 1, 1) != ":") return fail(kExpected);
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
        bracketed = true;
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return fail(kExpected);
        host = text.substr(0, colon);
        if (host.find(':') != std::string_view::npos)
            return fail("put an IPv6 address in brackets, e.g. [::1]:9776");
        port_text = text.substr(colon + 1);
    }

    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
        port > 65535)
        return fail(fmt::format("port '{}' is not a number from 0 to 65535", port_text));
    auto port16 = static_cast<std::uint16_t>(port);

    std::string host_str(host);
    if (bracketed) {
        in6_addr addr6{};
        if (inet_pton(AF_INET6, host_str.c_str(), &addr6) != 1)
            return fail(fmt::format("'{}' is not an IPv6 address", host));
        return ipv6(addr6, port16);
    }
    if (host.empty()) {
        ListenAddress any = ipv6(in6addr_any, port16);
        any.any_dual_stack = true;
        return any;
    }
    in_addr addr4{};
    if (inet_pton(AF_INET, host_str.c_str(), &addr4) == 1) return ipv4(addr4, port16);
    std::string why;
    auto resolved = resolve_host(host_str, port16, why);
    if (!resolved) return fail(why);
    return resolved;
}

// The access handler, a static trampoline into the endpoint's state.
struct PrometheusEndpoint::Handler {
    static MHD_Result handle(void* cls, MHD_Connection* connection, const char* url,
                             const char* method, const char*, const char*, std::size_t*, void**) {
        const auto& self = *static_cast<const PrometheusEndpoint*>(cls);
        std::string_view path(url ? url : "");
        bool telemetry = path == self.telemetry_path_;
        if (!telemetry && path != "/")
            return respond(connection, MHD_HTTP_NOT_FOUND, "404 page not found\n",
                           "text/plain; charset=utf-8");
        // libmicrohttpd sends HEAD responses without their body itself.
        std::string_view verb(method ? method : "");
        if (verb != MHD_HTTP_METHOD_GET && verb != MHD_HTTP_METHOD_HEAD)
            return respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed\n",
                           "text/plain; charset=utf-8", true);
        if (!telemetry) {
            std::string link = html_escape(self.telemetry_path_);
            return respond(connection, MHD_HTTP_OK,
                           fmt::format("<html><head><title>hupwatch</title></head><body>"
                                       "<h1>hupwatch</h1><p><a href=\"{0}\">{0}</a></p>"
                                       "</body></html>\n",
                                       link),
                           "text/html; charset=utf-8");
        }
        std::string body;
        try {
            body = self.render_();
        } catch (const std::exception& e) {
            spdlog::error("rendering metrics failed: {}", e.what());
            return respond(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "500 rendering metrics failed\n", "text/plain; charset=utf-8");
        }
        return respond(connection, MHD_HTTP_OK, body, kPrometheusTextContentType.data());
    }
};

PrometheusEndpoint::PrometheusEndpoint(std::string listen_address, std::string telemetry_path,
                                       Render render, EndpointLimits limits)
    : listen_address_(std::move(listen_address)),
      telemetry_path_(std::move(telemetry_path)),
      render_(std::move(render)),
      limits_(limits) {}

PrometheusEndpoint::~PrometheusEndpoint() {
    stop();
}

bool PrometheusEndpoint::start(std::string& error) {
    if (daemon_) return true;
    auto address = parse_listen_address(listen_address_, error);
    if (!address) return false;
    int fd = open_listener(*address);
    if (fd == -EAFNOSUPPORT && address->any_dual_stack) {
        // A kernel without IPv6: every interface means every IPv4 one.
        in_addr any{};
        any.s_addr = htonl(INADDR_ANY);
        auto port = reinterpret_cast<const sockaddr_in6*>(&address->addr)->sin6_port;
        fd = open_listener(ipv4(any, ntohs(port)));
    }
    if (fd < 0) {
        error = fmt::format("hupwatch: cannot listen on {}: {}", listen_address_, strerror(-fd));
        return false;
    }
    // We bind ourselves and hand the socket over (MHD_OPTION_LISTEN_SOCKET):
    // bind's errno is then ours to report, not lost inside MHD_start_daemon.
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
                               0, nullptr, nullptr, &Handler::handle, this,
                               MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT,
                               limits_.connection_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
                               limits_.connection_limit, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                               limits_.connection_memory_limit, MHD_OPTION_STRICT_FOR_CLIENT, 1,
                               MHD_OPTION_EXTERNAL_LOGGER, &log_from_mhd, nullptr, MHD_OPTION_END);
    if (!daemon_) {
        close(fd);
        error = fmt::format("hupwatch: cannot start the HTTP server on {}", listen_address_);
        return false;
    }
    port_ = bound_port(fd);
    return true;
}

void PrometheusEndpoint::stop() {
    if (!daemon_) return;
    MHD_stop_daemon(daemon_);  // closes the listen socket too
    daemon_ = nullptr;
    port_ = 0;
}

}  // namespace hupwatch
