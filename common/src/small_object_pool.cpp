#include "shoal/common/detail/small_object_pool.hpp"

namespace shoal::detail {

namespace {

// Set once this thread's lists are drained at exit: objects freed later in thread or program
// exit (static destructors run after thread_local ones) go straight back to malloc.
thread_local bool pool_gone = false;

// Registered on a thread's first slow-path call; returns the thread's free blocks at exit.
struct pool_exit_hook {
    pool_exit_hook() { tls_pool.enabled = true; }
    pool_exit_hook(const pool_exit_hook&) = delete;
    pool_exit_hook& operator=(const pool_exit_hook&) = delete;
    ~pool_exit_hook() {
        tls_pool.enabled = false;
        pool_gone = true;
        for (std::size_t c = 0; c < pool_class_count; ++c) {
            while (pool_block* b = tls_pool.heads[c]) {
                tls_pool.heads[c] = b->next;
                ::operator delete(b);
            }
            tls_pool.counts[c] = 0;
        }
    }
};

void ensure_exit_hook() {
    if (!tls_pool.enabled && !pool_gone) {
        static thread_local pool_exit_hook hook;
    }
}

}  // namespace

void* pool_allocate_slow(std::size_t size) {
    if (!pool_enabled || size == 0 || size > pool_max_size) {
        return ::operator new(size);
    }
    ensure_exit_hook();
    // Round up to the class size so the block can serve any request of its class later.
    const std::size_t cls = (size - 1) / pool_granularity;
    return ::operator new((cls + 1) * pool_granularity);
}

void pool_deallocate_slow(void* p, std::size_t size) noexcept {
    (void)size;
    ::operator delete(p);
}

}  // namespace shoal::detail
