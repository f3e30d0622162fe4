// The HTTP endpoint over real sockets on 127.0.0.1, with a small raw HTTP
// client: routing, methods, concurrency, hostile clients, listen errors.
#include "prometheus_endpoint.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "skip_or_fail.h"

namespace hupwatch {
namespace {

struct Reply {
    int status = 0;                              // 0: closed without a status line
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
};

// A connected socket with a receive timeout, so a hang fails the test.
int connect_to(std::uint16_t port, int family = AF_INET) {
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    int rc;
    if (family == AF_INET6) {
        sockaddr_in6 addr{};
        addr.sin6_family = AF_INET6;
        addr.sin6_port = htons(port);
        addr.sin6_addr = in6addr_loopback;
        rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    } else {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    }
    if (rc != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return;  // the server may close early on a bad request
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string read_to_eof(int fd) {
    std::string raw;
    char buffer[65536];
    for (;;) {
        ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        raw.append(buffer, static_cast<std::size_t>(n));
    }
    return raw;
}

Reply parse_reply(const std::string& raw) {
    Reply reply;
    auto head_end = raw.find("\r\n\r\n");
    if (raw.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos) return reply;
    reply.status = std::stoi(raw.substr(raw.find(' ') + 1, 3));
    std::size_t pos = raw.find("\r\n") + 2;
    while (pos < head_end) {
        auto end = raw.find("\r\n", pos);
        std::string line = raw.substr(pos, end - pos);
        auto colon = line.find(':');
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        reply.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
        pos = end + 2;
    }
    reply.body = raw.substr(head_end + 4);
    return reply;
}

// One request on its own connection; the server closes it after the reply.
Reply round_trip(std::uint16_t port, std::string_view request, int family = AF_INET) {
    int fd = connect_to(port, family);
    if (fd < 0) return {};
    send_all(fd, request);
    Reply reply = parse_reply(read_to_eof(fd));
    close(fd);
    return reply;
}

Reply request(std::uint16_t port, std::string_view method, std::string_view path) {
    return round_trip(port, fmt::format("{} {} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
                                        method, path));
}

// Large enough to take several writes per scrape.
std::string sample_body() {
    std::string body = "# HELP hupwatch_test A test.\n# TYPE hupwatch_test gauge\n";
    for (int i = 0; i < 4000; ++i) body += fmt::format("hupwatch_test{{n=\"{}\"}} {}\n", i, i);
    return body;
}

class EndpointTest : public testing::Test {
   protected:
    void start(EndpointLimits limits = {}) {
        endpoint = std::make_unique<PrometheusEndpoint>(
            "127.0.0.1:0", "/metrics", [this] { return body; }, limits);
        std::string error;
        ASSERT_TRUE(endpoint->start(error)) << error;
        ASSERT_NE(endpoint->port(), 0);
    }

    void expect_still_serving() {
        Reply reply = request(endpoint->port(), "GET", "/metrics");
        EXPECT_EQ(reply.status, 200);
        EXPECT_EQ(reply.body, body);
    }

    std::string body = sample_body();
    std::unique_ptr<PrometheusEndpoint> endpoint;
};

TEST_F(EndpointTest, ServesMetrics) {
    start();
    Reply reply = request(endpoint->port(), "GET", "/metrics");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(reply.body, body);
    // A query string is not part of the path.
    EXPECT_EQ(request(endpoint->port(), "GET", "/metrics?name[]=x").status, 200);
}

TEST_F(EndpointTest, HeadHasHeadersButNoBody) {
    start();
    Reply reply = request(endpoint->port(), "HEAD", "/metrics");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(reply.body, "");
}

TEST_F(EndpointTest, RootLinksToTheMetrics) {
    start();
    Reply reply = request(endpoint->port(), "GET", "/");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.headers["content-type"], "text/html; charset=utf-8");
    EXPECT_NE(reply.body.find("<a href=\"/metrics\">"), std::string::npos) << reply.body;
}

TEST_F(EndpointTest, UnknownPathIs404) {
    start();
    EXPECT_EQ(request(endpoint->port(), "GET", "/nope").status, 404);
    EXPECT_EQ(request(endpoint->port(), "GET", "/metrics/").status, 404);
}

TEST_F(EndpointTest, OtherMethodsAre405) {
    start();
    Reply reply = round_trip(endpoint->port(),
                             "POST /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
                             "Content-Length: 5\r\n\r\nhello");
    EXPECT_EQ(reply.status, 405);
    EXPECT_EQ(reply.headers["allow"], "GET, HEAD");
    EXPECT_EQ(request(endpoint->port(), "DELETE", "/metrics").status, 405);
    EXPECT_EQ(request(endpoint->port(), "PUT", "/").status, 405);
    expect_still_serving();
}

TEST_F(EndpointTest, CustomTelemetryPath) {
    endpoint = std::make_unique<PrometheusEndpoint>("127.0.0.1:0", "/custom/path",
                                                    [this] { return body; });
    std::string error;
    ASSERT_TRUE(endpoint->start(error)) << error;
    EXPECT_EQ(request(endpoint->port(), "GET", "/custom/path").status, 200);
    EXPECT_EQ(request(endpoint->port(), "GET", "/metrics").status, 404);
}

TEST_F(EndpointTest, FailingRenderIs500) {
    endpoint = std::make_unique<PrometheusEndpoint>(
        "127.0.0.1:0", "/metrics", []() -> std::string { throw std::runtime_error("boom"); });
    std::string error;
    ASSERT_TRUE(endpoint->start(error)) << error;
    EXPECT_EQ(request(endpoint->port(), "GET", "/metrics").status, 500);
}

TEST_F(EndpointTest, TwoHundredConcurrentScrapes) {
    start();
    constexpr int kClients = 200;
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.emplace_back([&] {
            Reply reply = request(endpoint->port(), "GET", "/metrics");
            if (reply.status == 200 && reply.body == body) ++ok;
        });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(ok.load(), kClients);
}

TEST_F(EndpointTest, MalformedRequestLineGets4xx) {
    start();
    for (std::string_view garbage :
         {"this is not http\r\n\r\n", "GET\r\n\r\n", "GET /metrics\r\n\r\n",
          "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", "\x01\x02\xff\xfe\r\n\r\n"}) {
        Reply reply = round_trip(endpoint->port(), garbage);
        if (reply.status != 0) {
            EXPECT_GE(reply.status, 400) << garbage;
            EXPECT_LT(reply.status, 500) << garbage;
        }
    }
    EXPECT_EQ(round_trip(endpoint->port(), "GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n").status, 505);
    expect_still_serving();
}

TEST_F(EndpointTest, OversizedRequestIsRefused) {
    start();
    std::string huge = "GET /metrics HTTP/1.1\r\nHost: test\r\nX-Big: ";
    huge.append(1 << 20, 'a');
    huge += "\r\nConnection: close\r\n\r\n";
    Reply reply = round_trip(endpoint->port(), huge);
    // A 4xx (431) or a closed connection, never the metrics.
    EXPECT_TRUE(reply.status == 0 || (reply.status >= 400 && reply.status < 500)) << reply.status;
    std::string long_url = "GET /" + std::string(100000, 'x') + " HTTP/1.1\r\n\r\n";
    reply = round_trip(endpoint->port(), long_url);
    EXPECT_TRUE(reply.status == 0 || (reply.status >= 400 && reply.status < 500)) << reply.status;
    expect_still_serving();
}

TEST_F(EndpointTest, SilentClientDoesNotBlockOthersAndIsDropped) {
    EndpointLimits limits;
    limits.connection_timeout_s = 1;
    start(limits);
    int idle = connect_to(endpoint->port());
    ASSERT_GE(idle, 0);
    // A half-sent request too: it must not hold the server either.
    int partial = connect_to(endpoint->port());
    ASSERT_GE(partial, 0);
    send_all(partial, "GET /metrics HTTP/1.1\r\nHost: te");

    auto begin = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) expect_still_serving();
    EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(1));

    // The server hangs up on both after the timeout: recv sees EOF, well
    // before the client's own 10 s receive timeout.
    begin = std::chrono::steady_clock::now();
    EXPECT_EQ(read_to_eof(idle), "");
    EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
    read_to_eof(partial);
    EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
    close(idle);
    close(partial);
    expect_still_serving();
}

TEST_F(EndpointTest, BusyPortIsAOneLineError) {
    start();
    std::string address = fmt::format("127.0.0.1:{}", endpoint->port());
    PrometheusEndpoint second(address, "/metrics", [] { return std::string(); });
    std::string error;
    EXPECT_FALSE(second.start(error));
    EXPECT_EQ(error, fmt::format("hupwatch: cannot listen on {}: Address already in use", address));
    expect_still_serving();
}

TEST_F(EndpointTest, PortIsFreedOnStop) {
    start();
    std::uint16_t port = endpoint->port();
    endpoint.reset();
    PrometheusEndpoint again(fmt::format("127.0.0.1:{}", port), "/metrics",
                             [] { return std::string("x 1\n"); });
    std::string error;
    ASSERT_TRUE(again.start(error)) << error;
    EXPECT_EQ(request(port, "GET", "/metrics").body, "x 1\n");
}

TEST(ListenAddress, BadAddressesGiveClearErrors) {
    std::map<std::string, std::string> cases = {
        {"nope",
         "hupwatch: bad listen address 'nope': expected host:port, e.g. 127.0.0.1:9776 "
         "or :9776"},
        {"1.2.3.4:99999",
         "hupwatch: bad listen address '1.2.3.4:99999': port '99999' is not a "
         "number from 0 to 65535"},
        {":abc",
         "hupwatch: bad listen address ':abc': port 'abc' is not a number from 0 to "
         "65535"},
        {"127.0.0.1:",
         "hupwatch: bad listen address '127.0.0.1:': port '' is not a number from 0 "
         "to 65535"},
        {"::1:9776",
         "hupwatch: bad listen address '::1:9776': put an IPv6 address in brackets, "
         "e.g. [::1]:9776"},
        {"[::1", "hupwatch: bad listen address '[::1': missing ']' after the IPv6 address"},
        {"[nope]:9776",
         "hupwatch: bad listen address '[nope]:9776': 'nope' is not an IPv6 "
         "address"},
        {"[::1]9776",
         "hupwatch: bad listen address '[::1]9776': expected host:port, e.g. "
         "127.0.0.1:9776 or :9776"},
    };
    for (const auto& [text, expected] : cases) {
        std::string error;
        EXPECT_FALSE(parse_listen_address(text, error)) << text;
        EXPECT_EQ(error, expected);
        PrometheusEndpoint endpoint(text, "/metrics", [] { return std::string(); });
        error.clear();
        EXPECT_FALSE(endpoint.start(error)) << text;
        EXPECT_EQ(error, expected);
    }
}

TEST(ListenAddress, ParsesTheForms) {
    std::string error;
    auto v4 = parse_listen_address("127.0.0.1:9776", error);
    ASSERT_TRUE(v4) << error;
    EXPECT_EQ(v4->addr.ss_family, AF_INET);
    EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in*>(&v4->addr)->sin_port), 9776);
    auto any = parse_listen_address(":9776", error);
    ASSERT_TRUE(any) << error;
    EXPECT_TRUE(any->any_dual_stack);
    auto v6 = parse_listen_address("[::1]:65535", error);
    ASSERT_TRUE(v6) << error;
    EXPECT_EQ(v6->addr.ss_family, AF_INET6);
    EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in6*>(&v6->addr)->sin6_port), 65535);
    auto local = parse_listen_address("localhost:0", error);
    ASSERT_TRUE(local) << error;
}

TEST(ListenAddress, EveryInterfaceServesLoopback) {
    PrometheusEndpoint endpoint(":0", "/metrics", [] { return std::string("x 1\n"); });
    std::string error;
    ASSERT_TRUE(endpoint.start(error)) << error;
    EXPECT_EQ(request(endpoint.port(), "GET", "/metrics").body, "x 1\n");
}

TEST(ListenAddress, Ipv6Loopback) {
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_loopback;
    bool have_v6 = probe >= 0 && bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (probe >= 0) close(probe);
    if (!have_v6) HUPWATCH_SKIP_OR_FAIL_UNDER_CI("no IPv6 loopback here");
    PrometheusEndpoint endpoint("[::1]:0", "/metrics", [] { return std::string("x 1\n"); });
    std::string error;
    ASSERT_TRUE(endpoint.start(error)) << error;
    Reply reply = round_trip(
        endpoint.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", AF_INET6);
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body, "x 1\n");
}

}  // namespace
}  // namespace hupwatch
