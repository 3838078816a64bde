#pragma once
// Thread-local free lists for the small objects every await allocates and frees (loop future
// states, task states, coroutine frames). glibc's malloc costs more than the rest of a
// resolved-future await; a per-thread list per 16-byte size class makes it a few
// instructions, inlined here. Objects may be freed on another thread than the one that
// allocated them: the block then joins that thread's list, which is still correct. Blocks
// come from 2 MiB-aligned arenas marked for transparent huge pages (see the .cpp).
//
// Under ASan/TSan the pool is bypassed so that the sanitizers see every allocation.

#include <cstddef>
#include <cstdint>
#include <new>

namespace shoal::detail {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool pool_enabled = false;
#else
inline constexpr bool pool_enabled = true;
#endif

inline constexpr std::size_t pool_granularity = 16;
inline constexpr std::size_t pool_max_size = 1024;
inline constexpr std::size_t pool_class_count = pool_max_size / pool_granularity;
// Bounds what one thread keeps after a burst (100k tasks finishing at once): past this many
// free blocks of one class, half go back to the central lists for other threads to reuse.
// Memory is carved from arenas that are never returned: the pool keeps its peak size.
inline constexpr std::uint32_t pool_max_free_per_class = 4096;

struct pool_block {
    pool_block* next;
};

// Trivial and constant-initialised, so access needs no guard. `enabled` turns true once the
// thread's exit hook is registered (slow path) and false again when the thread exits.
struct pool_lists {
    pool_block* heads[pool_class_count];
    std::uint32_t counts[pool_class_count];
    bool enabled;
};
constinit inline thread_local pool_lists tls_pool{};

void* pool_allocate_slow(std::size_t size);
void pool_deallocate_slow(void* p, std::size_t size) noexcept;

inline void* pool_allocate(std::size_t size) {
    if constexpr (pool_enabled) {
        const std::size_t cls = (size - 1) / pool_granularity;
        if (size - 1 < pool_max_size && tls_pool.enabled) {
            if (pool_block* b = tls_pool.heads[cls]) {
                tls_pool.heads[cls] = b->next;
                --tls_pool.counts[cls];
                return b;
            }
        }
    }
    return pool_allocate_slow(size);
}

inline void pool_deallocate(void* p, std::size_t size) noexcept {
    if constexpr (pool_enabled) {
        const std::size_t cls = (size - 1) / pool_granularity;
        if (p != nullptr && size - 1 < pool_max_size && tls_pool.enabled &&
            tls_pool.counts[cls] < pool_max_free_per_class) {
            auto* b = static_cast<pool_block*>(p);
            b->next = tls_pool.heads[cls];
            tls_pool.heads[cls] = b;
            ++tls_pool.counts[cls];
            return;
        }
    }
    pool_deallocate_slow(p, size);
}

// Mix-in giving a class (and everything derived from it) pooled operator new/delete.
struct pool_allocated {
    static void* operator new(std::size_t size) { return pool_allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { pool_deallocate(p, size); }
};

}  // namespace shoal::detail
