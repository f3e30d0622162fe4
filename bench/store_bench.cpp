// Event store benchmark: ingest rate through the real writer (SqliteStore),
// bytes per event, then the time of `why` and of `replay --session` on the
// resulting database. Usage: store_bench [N=10000000] [DB=/tmp/store_bench.db]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "cli_commands.h"
#include "sqlite_store.h"

using namespace hupwatch;

namespace {

constexpr std::uint64_t kSec = 1'000'000'000;

ProcessInfo proc_of(std::uint64_t n) {
    ProcessInfo p;
    p.pid = p.tid = static_cast<std::uint32_t>(1000 + n % 4'000'000);
    p.start_ns = 1000 * kSec + n * 1000;
    p.ppid = 900;
    p.pgid = p.pid;
    p.sid = static_cast<std::uint32_t>(100 + (n / 50) % 20'000);  // sessions of 50 processes
    p.uid = 1000 + static_cast<std::uint32_t>(n % 50);
    p.tty_dev = (136u << 20) | (p.sid % 64);
    p.comm = "worker";
    return p;
}

// Four events per process: fork, exec, signal, exit.
Event event_of(std::uint64_t i) {
    const std::uint64_t n = i / 4;
    ProcessInfo p = proc_of(n);
    const std::uint64_t t = p.start_ns + (i % 4) * 1000;
    switch (i % 4) {
        case 0:
            return Event{t, ForkEvent{p, 10 * kSec}};
        case 1: {
            ExecEvent e;
            e.proc = p;
            e.old_pid = p.pid;
            e.filename = "/usr/bin/worker";
            e.argv = {"worker", "--job", std::to_string(n)};
            return Event{t, e};
        }
        case 2: {
            SignalEvent s;
            s.target = p;
            s.sender_pid = p.sid;
            s.sender_comm = "bash";
            s.sig = 1;
            return Event{t, s};
        }
        default: {
            ExitEvent e;
            e.proc = p;
            e.raw_status = 1;
            return Event{t, e};
        }
    }
}

double time_ms(const std::function<int()>& command) {
    // The commands print; the benchmark measures the query, not a terminal.
    fflush(stdout);
    int saved = dup(1);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    auto start = std::chrono::steady_clock::now();
    int rc = command();
    auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    fflush(stdout);
    dup2(saved, 1);
    close(null);
    close(saved);
    if (rc != 0) std::fprintf(stderr, "command failed with %d\n", rc);
    return ms;
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t n = argc > 1 ? std::stoull(argv[1]) : 10'000'000ULL;
    const std::string path = argc > 2 ? argv[2] : "/tmp/store_bench.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);

    StoreOptions options;
    options.path = path;
    options.version = "bench";
    options.retention_ns = 0;
    options.queue_capacity = 1 << 20;
    std::string error;
    auto store = SqliteStore::open(options, error, BootClock(1'700'000'000LL * 1'000'000'000));
    if (!store) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
        store->on_event(event_of(i));
        // Keep the queue from overflowing: the benchmark measures the
        // writer's sustained rate, not the queue's size.
        if (i % 200'000 == 199'999) store->flush();
    }
    store->close();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::uintmax_t bytes = std::filesystem::file_size(path);
    std::printf("events: %llu, dropped: %llu, write errors: %llu\n",
                static_cast<unsigned long long>(store->rows_written()),
                static_cast<unsigned long long>(store->dropped()),
                static_cast<unsigned long long>(store->write_errors()));
    std::printf("ingest: %.0f events/s (%.2f s)\n", static_cast<double>(n) / seconds, seconds);
    std::printf("size: %ju bytes, %.0f bytes/event\n", bytes,
                static_cast<double>(bytes) / static_cast<double>(n));

    const std::uint64_t middle = n / 8;  // a process of the middle of the run
    WhyOptions why;
    why.db_path = path;
    why.pid = proc_of(middle).pid;
    why.json = true;
    std::printf("why %lld: %.1f ms\n", why.pid, time_ms([&] { return run_why(why); }));
    ReplayOptions replay;
    replay.db_path = path;
    replay.session = proc_of(middle).sid;
    std::printf("replay --session %lld: %.1f ms\n", replay.session,
                time_ms([&] { return run_replay(replay); }));
    return 0;
}
