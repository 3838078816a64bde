#include "shoal/common/detail/small_object_pool.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <mutex>

namespace shoal::detail {

namespace {

// Blocks come from arenas carved in batches, never from malloc one by one: a burst of
// 100,000 tasks then costs a few hundred huge-page faults instead of ten thousand small ones
// plus malloc's bookkeeping. Arenas are never returned: freed blocks are reused, and a
// block may safely outlive the thread that carved it. A thread keeps at most
// pool_max_free_per_class blocks per class and hands the surplus back to the central lists.
constexpr std::size_t arena_bytes = 4u << 20;  // two huge pages
constexpr std::size_t huge_page_bytes = 2u << 20;
constexpr std::uint32_t refill_batch = 64;  // blocks moved per trip to the centre
constexpr std::uint32_t flush_keep = pool_max_free_per_class / 2;

std::size_t class_bytes(std::size_t cls) { return (cls + 1) * pool_granularity; }

class central_lists {
  public:
    // Moves up to `want` blocks of class `cls` into the calling thread's list.
    void refill(std::size_t cls, std::uint32_t want) {
        std::lock_guard lock(mutex_);
        while (want > 0 && heads_[cls] != nullptr) {
            pool_block* b = heads_[cls];
            heads_[cls] = b->next;
            push_local(cls, b);
            --want;
        }
        const std::size_t size = class_bytes(cls);
        while (want > 0) {
            if (static_cast<std::size_t>(end_ - bump_) < size) new_arena();
            push_local(cls, reinterpret_cast<pool_block*>(bump_));
            bump_ += size;
            --want;
        }
    }

    // Takes `count` blocks off the front of the calling thread's list for class `cls`.
    void give_back(std::size_t cls, std::uint32_t count) {
        std::lock_guard lock(mutex_);
        while (count > 0 && tls_pool.heads[cls] != nullptr) {
            pool_block* b = tls_pool.heads[cls];
            tls_pool.heads[cls] = b->next;
            --tls_pool.counts[cls];
            b->next = heads_[cls];
            heads_[cls] = b;
            --count;
        }
    }

    void give_back_one(std::size_t cls, void* p) {
        std::lock_guard lock(mutex_);
        auto* b = static_cast<pool_block*>(p);
        b->next = heads_[cls];
        heads_[cls] = b;
    }

  private:
    static void push_local(std::size_t cls, pool_block* b) {
        b->next = tls_pool.heads[cls];
        tls_pool.heads[cls] = b;
        ++tls_pool.counts[cls];
    }

    void new_arena() {
        // The tail of the old arena (less than one block) is abandoned.
        void* p = std::aligned_alloc(huge_page_bytes, arena_bytes);
        if (p == nullptr) throw std::bad_alloc();
        ::madvise(p, arena_bytes, MADV_HUGEPAGE);  // a hint: fine if the kernel declines
        bump_ = static_cast<char*>(p);
        end_ = bump_ + arena_bytes;
    }

    std::mutex mutex_;
    pool_block* heads_[pool_class_count] = {};
    char* bump_ = nullptr;
    char* end_ = nullptr;
};

// Never destroyed: threads may free blocks during static destruction.
central_lists& centre() {
    static central_lists* c = new central_lists();
    return *c;
}

// Set once this thread's lists went back to the centre at exit: later frees on this thread
// (static destructors run after thread_local ones) go straight to the centre.
thread_local bool pool_gone = false;

struct pool_exit_hook {
    pool_exit_hook() { tls_pool.enabled = true; }
    pool_exit_hook(const pool_exit_hook&) = delete;
    pool_exit_hook& operator=(const pool_exit_hook&) = delete;
    ~pool_exit_hook() {
        tls_pool.enabled = false;
        pool_gone = true;
        for (std::size_t c = 0; c < pool_class_count; ++c) {
            centre().give_back(c, tls_pool.counts[c]);
        }
    }
};

}  // namespace

void* pool_allocate_slow(std::size_t size) {
    if (!pool_enabled || size == 0 || size > pool_max_size) {
        return ::operator new(size);
    }
    const std::size_t cls = (size - 1) / pool_granularity;
    if (pool_gone) {
        // This thread is exiting: serve from the centre without keeping a local list.
        centre().refill(cls, 1);
    } else {
        static thread_local pool_exit_hook hook;
        centre().refill(cls, refill_batch);
    }
    pool_block* b = tls_pool.heads[cls];
    tls_pool.heads[cls] = b->next;
    --tls_pool.counts[cls];
    return b;
}

void pool_deallocate_slow(void* p, std::size_t size) noexcept {
    if (p == nullptr) return;
    if (!pool_enabled || size == 0 || size > pool_max_size) {
        ::operator delete(p);
        return;
    }
    const std::size_t cls = (size - 1) / pool_granularity;
    if (!tls_pool.enabled) {
        centre().give_back_one(cls, p);
        return;
    }
    // The local list is full: hand half of it to the centre, then keep this block.
    centre().give_back(cls, tls_pool.counts[cls] - flush_keep);
    auto* b = static_cast<pool_block*>(p);
    b->next = tls_pool.heads[cls];
    tls_pool.heads[cls] = b;
    ++tls_pool.counts[cls];
}

}  // namespace shoal::detail
