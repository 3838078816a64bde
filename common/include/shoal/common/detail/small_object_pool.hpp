#pragma once
// Thread-local free lists for the small objects every await allocates and frees (loop future
// states, task states, coroutine frames). glibc's malloc costs more than the rest of a
// resolved-future await; a per-thread list per 16-byte size class makes it a few
// instructions. Objects may be freed on another thread than the one that allocated them:
// the block then joins that thread's list, which is still correct.
//
// Under ASan/TSan the pool is bypassed so that the sanitizers see every allocation.

#include <cstddef>

namespace shoal::detail {

void* pool_allocate(std::size_t size);
void pool_deallocate(void* p, std::size_t size) noexcept;

// Mix-in giving a class (and everything derived from it) pooled operator new/delete.
struct pool_allocated {
    static void* operator new(std::size_t size) { return pool_allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { pool_deallocate(p, size); }
};

}  // namespace shoal::detail
