// Gives freed heap memory back to the system, with whichever allocator the
// binary runs on: jemalloc (linked into hupwatch, see CMakeLists.txt) purges
// its arenas' unused pages; glibc's malloc (the sanitizer builds, the tests)
// trims its heaps.
#pragma once

namespace hupwatch {

enum class HeapAllocator { Jemalloc, Glibc };

// The allocator this process's malloc is.
HeapAllocator heap_allocator();

// Returns the pages no live allocation uses; the allocator it asked.
HeapAllocator release_free_heap();

}  // namespace hupwatch
