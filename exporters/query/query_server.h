// The query socket of `hupwatch run`: a unix stream socket that answers
// requests (query_protocol.h) for whoever connects, identified by
// SO_PEERCRED. The server knows nothing of the store: a handler, given the
// request and the caller, makes the answer (userspace/cli/query_dispatch).
//
// Off the event path, and no client can stall it: one thread accepts, a few
// workers serve; a request must arrive whole within kRequestTimeout and fit
// kMaxRequestBytes; an answer the client does not read within kSendTimeout is
// abandoned; beyond the clients waiting for a worker, connections are
// refused with a one-line answer. Each outcome is counted (docs/metrics.md).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "query_protocol.h"

namespace hupwatch {

struct QueryCaller {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

struct QueryServerOptions {
    std::string path = kDefaultQuerySocket;
    unsigned workers = 2;
    std::size_t max_waiting = 8;  // accepted, not yet served
    std::chrono::milliseconds request_timeout{2000};
    std::chrono::milliseconds send_timeout{5000};
};

class QueryServer {
   public:
    using Handler = std::function<QueryAnswer(const QueryRequest&, const QueryCaller&)>;
    struct Counters {
        std::uint64_t answered = 0;      // a command ran, whatever its exit code
        std::uint64_t bad_requests = 0;  // not a request: malformed, oversized
        std::uint64_t refused = 0;       // too many clients waiting
        std::uint64_t failed = 0;        // timed out or the client went away
    };

    QueryServer(QueryServerOptions options, Handler handler);
    ~QueryServer();
    QueryServer(const QueryServer&) = delete;
    QueryServer& operator=(const QueryServer&) = delete;

    // Creates the socket (and its directory, 0755), mode 0666: anyone may
    // ask, the handler filters what they see. Refuses a path where another
    // server answers or that is not a socket. false with a one-line error.
    bool start(std::string& error);
    // Stops accepting, lets the workers finish, removes the socket.
    void stop();
    Counters counters() const;

   private:
    void accept_loop();
    void worker_loop();
    void serve(int fd);
    bool read_request(int fd, std::string& line, std::string& error);
    void refuse(int fd);

    QueryServerOptions options_;
    Handler handler_;
    int listen_fd_ = -1;
    bool bound_ = false;  // the socket file is ours to remove
    int stop_pipe_[2] = {-1, -1};
    std::thread acceptor_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<int> waiting_;
    bool stopping_ = false;
    std::atomic<std::uint64_t> answered_{0}, bad_requests_{0}, refused_{0}, failed_{0};
};

}  // namespace hupwatch
