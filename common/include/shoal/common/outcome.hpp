#pragma once
// shoal::outcome<T>: a value or the exception that took its place. What gather(...) yields per
// child under return_exceptions (asyncio puts the exception object in the result list; C++
// needs a type that can hold either).

#include <exception>
#include <utility>
#include <variant>

#include "shoal/common/detail/loop_future_state.hpp"
#include "shoal/common/errors.hpp"

namespace shoal {

template <class T>
class outcome {
  public:
    using value_type = detail::stored_t<T>;

    outcome(value_type v) : v_(std::in_place_index<0>, std::move(v)) {}          // NOLINT: implicit
    outcome(std::exception_ptr e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    // The value, or rethrows the exception.
    value_type& value() {
        if (!has_value()) {
            std::rethrow_exception(std::get<1>(v_));
        }
        return std::get<0>(v_);
    }
    // The exception, or null when there is a value.
    std::exception_ptr exception() const noexcept {
        return has_value() ? nullptr : std::get<1>(v_);
    }
    // True when the child was cancelled (its exception is a cancelled_error).
    bool cancelled() const {
        if (has_value()) return false;
        try {
            std::rethrow_exception(std::get<1>(v_));
        } catch (const cancelled_error&) {
            return true;
        } catch (...) {
            return false;
        }
    }

  private:
    std::variant<value_type, std::exception_ptr> v_;
};

}  // namespace shoal
