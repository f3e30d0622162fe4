// libFuzzer target: the store's readers on mutated database files. Each
// input is written as a database file and read by `replay`, `why` and
// `tree` as a user runs them; a damaged file must give a one-line error and
// a documented exit code, never a crash.
//
// With HUPWATCH_FUZZ_MAKE_SEED=PATH it writes a small real store to PATH and
// exits: scripts/fuzz.sh makes the seed corpus this way, so no binary
// database is kept in the repository.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli_commands.h"
#include "sqlite_store.h"

namespace {

using namespace hupwatch;

std::string scratch_path() {
    static std::string path = "/tmp/hupwatch-fuzz-store-" + std::to_string(getpid()) + ".db";
    return path;
}

void make_seed(const char* path) {
    StoreOptions options;
    options.path = path;
    options.version = "fuzz-seed";
    std::string error;
    auto store = SqliteStore::open(options, error);
    if (!store) {
        std::fprintf(stderr, "%s\n", error.c_str());
        std::exit(1);
    }
    ProcessInfo bash;
    bash.pid = bash.tid = bash.sid = bash.pgid = 815;
    bash.ppid = 812;
    bash.start_ns = 100'000'000'000;
    bash.comm = "bash";
    ProcessInfo job = bash;
    job.pid = job.tid = job.pgid = 901;
    job.ppid = 815;
    job.start_ns = 110'000'000'000;
    job.comm = "sleep";
    store->on_event(Event{job.start_ns, ForkEvent{job, bash.start_ns}});
    ExecEvent exec;
    exec.proc = job;
    exec.filename = "/usr/bin/sleep";
    exec.argv = {"sleep", "600"};
    store->on_event(Event{job.start_ns + 1000, exec});
    ExitEvent exit;
    exit.proc = job;
    exit.raw_status = 1;  // SIGHUP
    store->on_event(Event{200'000'000'000, exit});
    Verdict verdict;
    verdict.kind = VerdictKind::KilledByDisconnect;
    verdict.ktime_ns = 200'000'000'000;
    verdict.process = {901, job.start_ns, "sleep"};
    verdict.sid = 815;
    store->on_finding(verdict);
    store->close();
    std::exit(0);
}

// The readers print (stdout, and one-line errors on stderr); the fuzzer's
// own report goes to stderr too, so stderr is silenced only around a run.
class QuietOutput {
   public:
    QuietOutput() : null_(::open("/dev/null", O_WRONLY | O_CLOEXEC)), saved_err_(::dup(2)) {
        ::dup2(null_, 1);
        ::dup2(null_, 2);
    }
    ~QuietOutput() {
        ::dup2(saved_err_, 2);
        ::close(saved_err_);
        ::close(null_);
    }

   private:
    int null_;
    int saved_err_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (const char* seed = std::getenv("HUPWATCH_FUZZ_MAKE_SEED")) make_seed(seed);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = scratch_path();
    for (const char* suffix : {"-wal", "-shm"}) ::unlink((path + suffix).c_str());
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);

    QuietOutput quiet;
    ReplayOptions replay;
    replay.db_path = path;
    (void)run_replay(replay);
    replay.json = true;
    (void)run_replay(replay);
    WhyOptions why;
    why.db_path = path;
    why.pid = 901;
    (void)run_why(why);
    TreeOptions tree;
    tree.db_path = path;
    tree.at = "2026-11-28T13:00:00Z";
    (void)run_tree(tree);
    return 0;
}
