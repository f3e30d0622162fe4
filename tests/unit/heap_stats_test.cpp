// The heap's own account (live/heap_release.h), as the daemon exports it in
// hupwatch_heap_allocated_bytes and hupwatch_heap_resident_bytes. The unit
// tests run on glibc's malloc (only the hupwatch binary links jemalloc, see
// tests/e2e/memory_bound_e2e.py for that one); not built under the
// sanitizers, whose allocator keeps no counts (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "heap_release.h"

namespace hupwatch {
namespace {

TEST(HeapStats, CountsWhatIsAllocatedAndFreed) {
    HeapStats before = heap_stats();
    constexpr std::size_t kBlocks = 256, kBlockSize = 4096;  // 1 MiB in heap-sized blocks
    std::vector<std::unique_ptr<char[]>> blocks;
    for (std::size_t i = 0; i < kBlocks; ++i) {
        blocks.emplace_back(new char[kBlockSize]);
        std::memset(blocks.back().get(), 1, kBlockSize);  // touched: resident
    }
    HeapStats during = heap_stats();
    EXPECT_GE(during.allocated, before.allocated + kBlocks * kBlockSize);
    EXPECT_LE(during.allocated, during.resident);
    blocks.clear();
    HeapStats after = heap_stats();
    EXPECT_LE(after.allocated + kBlocks * kBlockSize, during.allocated);
}

TEST(HeapStats, ReleasingFreeMemoryKeepsWhatIsLive) {
    auto live = std::make_unique<char[]>(64 * 1024);
    std::memset(live.get(), 2, 64 * 1024);
    std::size_t allocated = heap_stats().allocated;
    EXPECT_EQ(release_free_heap(), heap_allocator());
    EXPECT_EQ(heap_stats().allocated, allocated);
    EXPECT_EQ(live[64 * 1024 - 1], 2);
}

}  // namespace
}  // namespace hupwatch
