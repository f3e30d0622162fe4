#include "heap_release.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstddef>

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

}  // namespace hupwatch
