// Gives freed heap memory back to the system, with whichever allocator the
// binary runs on: jemalloc (linked into hupwatch, see CMakeLists.txt) purges
// its arenas' unused pages; glibc's malloc (the sanitizer builds, the tests)
// trims its heaps.
#pragma once

#include <cstddef>

namespace hupwatch {

enum class HeapAllocator { Jemalloc, Glibc };

// The allocator this process's malloc is.
HeapAllocator heap_allocator();

// Returns the pages no live allocation uses; the allocator it asked.
HeapAllocator release_free_heap();

struct HeapStats {
    std::size_t allocated = 0;  // bytes in live allocations
    std::size_t resident = 0;   // bytes of pages the allocator holds (jemalloc: resident)
};
// The allocator's own account of the heap, now.
HeapStats heap_stats();

}  // namespace hupwatch
