#pragma once
// A move-only type-erased callable with a small inline buffer. The event loop's queues hold
// millions of these: the common case (a lambda capturing a pointer or two, a coroutine
// handle) must not allocate, and callbacks may own move-only state (promises, sockets), so
// std::function (copyable) does not fit and std::move_only_function is C++23.

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace shoal::detail {

template <class Signature>
class unique_function;

template <class R, class... Args>
class unique_function<R(Args...)> {
    static constexpr std::size_t inline_size = 3 * sizeof(void*);
    // Pointer alignment keeps the object at four words; over-aligned callables go to the heap.
    static constexpr std::size_t inline_align = alignof(void*);

    struct ops {
        R (*invoke)(void* self, Args&&... args);
        // Moves the callable from src into dst's storage and destroys src's.
        void (*relocate)(void* dst, void* src) noexcept;
        void (*destroy)(void* self) noexcept;
    };

    template <class F>
    static constexpr bool fits_inline =
        sizeof(F) <= inline_size &&
        alignof(F) <= inline_align&& std::is_nothrow_move_constructible_v<F>;

    template <class F>
    static F* inline_ptr(void* p) noexcept {
        return std::launder(static_cast<F*>(p));
    }
    template <class F>
    static F*& heap_ptr(void* p) noexcept {
        return *std::launder(static_cast<F**>(p));
    }

    template <class F>
    static constexpr ops inline_ops{
        [](void* self, Args&&... args) -> R {
            return (*inline_ptr<F>(self))(std::forward<Args>(args)...);
        },
        [](void* dst, void* src) noexcept {
            ::new (dst) F(std::move(*inline_ptr<F>(src)));
            inline_ptr<F>(src)->~F();
        },
        [](void* self) noexcept { inline_ptr<F>(self)->~F(); },
    };

    template <class F>
    static constexpr ops heap_ops{
        [](void* self, Args&&... args) -> R {
            return (*heap_ptr<F>(self))(std::forward<Args>(args)...);
        },
        [](void* dst, void* src) noexcept { ::new (dst) F*(heap_ptr<F>(src)); },
        [](void* self) noexcept { delete heap_ptr<F>(self); },
    };

  public:
    unique_function() noexcept = default;
    unique_function(std::nullptr_t) noexcept {}

    template <class F, class D = std::decay_t<F>,
              class = std::enable_if_t<!std::is_same_v<D, unique_function> &&
                                       std::is_invocable_r_v<R, D&, Args...>>>
    unique_function(F&& f) {  // NOLINT: implicit like std::function
        if constexpr (fits_inline<D>) {
            ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
            ops_ = &inline_ops<D>;
        } else {
            ::new (static_cast<void*>(storage_)) D*(new D(std::forward<F>(f)));
            ops_ = &heap_ops<D>;
        }
    }

    unique_function(unique_function&& other) noexcept : ops_(other.ops_) {
        if (ops_) {
            ops_->relocate(storage_, other.storage_);
            other.ops_ = nullptr;
        }
    }

    unique_function& operator=(unique_function&& other) noexcept {
        if (this != &other) {
            reset();
            if (other.ops_) {
                other.ops_->relocate(storage_, other.storage_);
                ops_ = std::exchange(other.ops_, nullptr);
            }
        }
        return *this;
    }

    unique_function& operator=(std::nullptr_t) noexcept {
        reset();
        return *this;
    }

    unique_function(const unique_function&) = delete;
    unique_function& operator=(const unique_function&) = delete;
    ~unique_function() { reset(); }

    explicit operator bool() const noexcept { return ops_ != nullptr; }

    R operator()(Args... args) { return ops_->invoke(storage_, std::forward<Args>(args)...); }

  private:
    void reset() noexcept {
        if (ops_) {
            std::exchange(ops_, nullptr)->destroy(storage_);
        }
    }

    const ops* ops_ = nullptr;
    alignas(inline_align) unsigned char storage_[inline_size];
};

}  // namespace shoal::detail
