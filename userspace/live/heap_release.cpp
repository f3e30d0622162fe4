#include "heap_release.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstddef>
#include <cstdint>

namespace hupwatch {
namespace {

using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

// jemalloc's control interface, if jemalloc is this process's malloc. Looked
// up at run time so the same code serves a build without it.
Mallctl jemalloc_mallctl() {
    static const Mallctl mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
    return mallctl;
}

}  // namespace

HeapAllocator heap_allocator() {
    return jemalloc_mallctl() ? HeapAllocator::Jemalloc : HeapAllocator::Glibc;
}

HeapAllocator release_free_heap() {
    if (Mallctl mallctl = jemalloc_mallctl()) {
        // "arena.<MALLCTL_ARENAS_ALL>.purge": every arena's dirty and muzzy
        // pages go back now, rather than after their decay time.
        mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
        return HeapAllocator::Jemalloc;
    }
    malloc_trim(0);
    return HeapAllocator::Glibc;
}

HeapStats heap_stats() {
    HeapStats out;
    if (Mallctl mallctl = jemalloc_mallctl()) {
        // jemalloc's statistics are a snapshot taken at the last "epoch" write.
        std::uint64_t epoch = 1;
        std::size_t epoch_size = sizeof(epoch);
        mallctl("epoch", &epoch, &epoch_size, &epoch, epoch_size);
        std::size_t size = sizeof(std::size_t);
        mallctl("stats.allocated", &out.allocated, &size, nullptr, 0);
        size = sizeof(std::size_t);
        mallctl("stats.resident", &out.resident, &size, nullptr, 0);
        return out;
    }
    struct mallinfo2 info = mallinfo2();
    out.allocated = info.uordblks + info.hblkhd;
    out.resident = info.arena + info.hblkhd;
    return out;
}

}  // namespace hupwatch
