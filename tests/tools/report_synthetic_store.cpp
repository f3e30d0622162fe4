// Writes the synthetic incident of tests/unit/report_fixture.h to a new
// store, with as many short-lived children as asked: the store behind the
// report's 10,000-process render check (tests/e2e/report_render_e2e.py).
// Usage: hupwatch_report_synthetic_store PATH CHILDREN JOBS
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "report_fixture.h"

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s PATH CHILDREN JOBS\n", argv[0]);
        return 2;
    }
    const int children = std::atoi(argv[2]);
    const int jobs = std::atoi(argv[3]);
    if (children < 0 || jobs < 1 || children % jobs != 0) {
        std::fprintf(stderr, "%s: CHILDREN must be a multiple of JOBS >= 1\n", argv[0]);
        return 2;
    }
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(std::string(argv[1]) + suffix);
    auto incident = hupwatch::test::write_incident(argv[1], children, jobs);
    if (incident.offset_ns == 0) {
        std::fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[1]);
        return 1;
    }
    // The window in wall ns, for --since and --until.
    std::printf("%lld %lld\n", static_cast<long long>(incident.since_wall_ns),
                static_cast<long long>(incident.until_wall_ns));
    return 0;
}
