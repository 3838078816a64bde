#include "shoal/common/detail/small_object_pool.hpp"

#include <array>
#include <new>

namespace shoal::detail {

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool pool_enabled = true;
#else
constexpr bool pool_enabled = true;
#endif

constexpr std::size_t granularity = 16;
constexpr std::size_t max_pooled_size = 1024;
constexpr std::size_t class_count = max_pooled_size / granularity;
// Bounds what a thread keeps after a burst (100k tasks finishing at once): past this many
// free blocks of one class, blocks go back to malloc.
constexpr std::size_t max_free_per_class = 4096;

struct free_block {
    free_block* next;
};

// Set once this thread's lists are destroyed: objects freed later in thread or program exit
// (static destructors run after thread_local ones) go straight back to malloc.
thread_local bool lists_gone = false;

class thread_pool_lists {
public:
    thread_pool_lists() = default;
    thread_pool_lists(const thread_pool_lists&) = delete;
    thread_pool_lists& operator=(const thread_pool_lists&) = delete;
    ~thread_pool_lists() {
        lists_gone = true;
        for (std::size_t c = 0; c < class_count; ++c) {
            while (free_block* b = heads_[c]) {
                heads_[c] = b->next;
                ::operator delete(b);
            }
        }
    }

    void* allocate(std::size_t cls) {
        if (free_block* b = heads_[cls]) {
            heads_[cls] = b->next;
            --counts_[cls];
            return b;
        }
        return ::operator new((cls + 1) * granularity);
    }

    void deallocate(void* p, std::size_t cls) noexcept {
        if (counts_[cls] >= max_free_per_class) {
            ::operator delete(p);
            return;
        }
        auto* b = static_cast<free_block*>(p);
        b->next = heads_[cls];
        heads_[cls] = b;
        ++counts_[cls];
    }

private:
    std::array<free_block*, class_count> heads_{};
    std::array<std::size_t, class_count> counts_{};
};

thread_local thread_pool_lists lists;

std::size_t size_class(std::size_t size) noexcept { return (size - 1) / granularity; }

}  // namespace

void* pool_allocate(std::size_t size) {
    if (!pool_enabled || lists_gone || size == 0 || size > max_pooled_size) {
        return ::operator new(size);
    }
    return lists.allocate(size_class(size));
}

void pool_deallocate(void* p, std::size_t size) noexcept {
    if (p == nullptr) {
        return;
    }
    if (!pool_enabled || lists_gone || size == 0 || size > max_pooled_size) {
        ::operator delete(p);
        return;
    }
    lists.deallocate(p, size_class(size));
}

}  // namespace shoal::detail
