#pragma once
// An intrusive, non-atomic reference-counted pointer for objects owned by one event loop's
// thread (future states, task drivers). Non-atomic on purpose: loop-bound objects are never
// shared across threads (call_soon_threadsafe is the only door), so the atomic increments of
// std::shared_ptr would be pure cost on the hottest path (every await).

#include <cstdint>
#include <utility>

namespace shoal::detail {

// Base for ref_ptr-managed objects. Virtual destructor: the last release deletes through it.
class ref_counted {
  public:
    ref_counted() = default;
    ref_counted(const ref_counted&) = delete;
    ref_counted& operator=(const ref_counted&) = delete;
    virtual ~ref_counted() = default;

    void add_ref() noexcept { ++refs_; }
    void release() noexcept {
        if (--refs_ == 0) {
            delete this;
        }
    }
    std::uint32_t use_count() const noexcept { return refs_; }

  private:
    std::uint32_t refs_ = 0;
};

template <class T>
class ref_ptr {
  public:
    ref_ptr() noexcept = default;
    ref_ptr(std::nullptr_t) noexcept {}
    explicit ref_ptr(T* p) noexcept : p_(p) {
        if (p_) p_->add_ref();
    }
    ref_ptr(const ref_ptr& o) noexcept : ref_ptr(o.p_) {}
    ref_ptr(ref_ptr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    template <class U>
    ref_ptr(const ref_ptr<U>& o) noexcept : ref_ptr(o.get()) {}
    template <class U>
    ref_ptr(ref_ptr<U>&& o) noexcept : p_(o.detach()) {}
    ~ref_ptr() {
        if (p_) p_->release();
    }

    ref_ptr& operator=(ref_ptr o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }

    T* get() const noexcept { return p_; }
    T* operator->() const noexcept { return p_; }
    T& operator*() const noexcept { return *p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    // Gives up ownership without releasing; for converting moves.
    T* detach() noexcept { return std::exchange(p_, nullptr); }
    // Takes over a reference detach() gave up, without adding one.
    static ref_ptr adopt(T* p) noexcept {
        ref_ptr r;
        r.p_ = p;
        return r;
    }

    friend bool operator==(const ref_ptr& a, const ref_ptr& b) noexcept { return a.p_ == b.p_; }

  private:
    T* p_ = nullptr;
};

template <class T, class... Args>
ref_ptr<T> make_ref(Args&&... args) {
    return ref_ptr<T>(new T(std::forward<Args>(args)...));
}

}  // namespace shoal::detail
