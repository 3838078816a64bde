#pragma once
// loop_bound_ref<T>: a reference to a loop-bound object (non-atomic refcount) that may travel
// through other threads and be destroyed there. Only the loop's thread touches the count:
// dropped elsewhere, the reference is handed back with call_soon_threadsafe and released by
// the loop (or by close(), which drops pending thread-safe callbacks on the owner's thread).

#include <utility>

#include "shoal/common/detail/ref_ptr.hpp"
#include "shoal/common/event_loop.hpp"

namespace shoal::detail {

template <class T>
class loop_bound_ref {
public:
    // Constructed on the loop's thread.
    loop_bound_ref(event_loop& loop, ref_ptr<T> p) noexcept : loop_(&loop), p_(std::move(p)) {}
    loop_bound_ref(loop_bound_ref&& o) noexcept : loop_(o.loop_), p_(std::move(o.p_)) {}
    loop_bound_ref& operator=(loop_bound_ref&&) = delete;
    loop_bound_ref(const loop_bound_ref&) = delete;
    ~loop_bound_ref() { release_from_any_thread(); }

    event_loop& loop() const noexcept { return *loop_; }
    // Takes the reference; call only on the loop's thread.
    ref_ptr<T> take() noexcept { return std::move(p_); }

private:
    // Releases the reference when destroyed, on whichever thread destroys it: the loop runs
    // it, or close() destroys it on the owner's thread.
    struct releaser {
        T* raw;
        explicit releaser(T* r) noexcept : raw(r) {}
        releaser(releaser&& o) noexcept : raw(std::exchange(o.raw, nullptr)) {}
        ~releaser() {
            if (raw) raw->release();
        }
        void operator()() noexcept {
            if (raw) std::exchange(raw, nullptr)->release();
        }
    };

    void release_from_any_thread() noexcept {
        if (!p_) return;
        if (event_loop::current_or_null() == loop_) {
            p_ = nullptr;
            return;
        }
        T* raw = p_.detach();
        try {
            loop_->call_soon_threadsafe(releaser(raw));
        } catch (...) {
            // The loop is closed: leaking one object is safe, touching its count here is not.
        }
    }

    event_loop* loop_;
    ref_ptr<T> p_;
};

}  // namespace shoal::detail
