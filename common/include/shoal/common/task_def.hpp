#pragma once
// shoal::task_def<R(Args...)>: a task's name bound to its signature, declared once in a header
// that the code defining the task and the code calling it both include:
//
//     inline constexpr shoal::task_def<long(long)> count{"count"};
//
// Registries check the implementation against the signature and callers' arguments are
// checked against it, both at compile time. It holds no executor specifics, so the same
// declaration serves process pools and the cluster client. Arguments and results travel as
// msgpack, so every Args and R needs a msgpack adaptor (built-ins, or MSGPACK_DEFINE).

#include <string_view>
#include <tuple>
#include <type_traits>

#include "shoal/common/task_signature.hpp"

namespace shoal {

template <class Signature>
struct task_def;

template <class R, class... Args>
struct task_def<R(Args...)> {
    using result_type = R;
    using signature = R(Args...);
    // The values a call carries: references and cv-qualifiers in Args are dropped.
    using arguments_tuple = std::tuple<std::decay_t<Args>...>;
    static constexpr std::size_t arity = sizeof...(Args);

    // `name` must outlive the task_def (a string literal does).
    constexpr task_def(const char* name) noexcept : name_(name) {}  // NOLINT: implicit by design

    constexpr std::string_view name() const noexcept { return name_; }

    // Signatures for the client's canvas (task_signature.hpp): every argument bound, or all
    // but the first (a chain's previous task gives it), or immutable (si).
    template <class... Given>
    requires(sizeof...(Given) == sizeof...(Args) &&
             (std::is_convertible_v<const Given&, std::decay_t<Args>> &&
              ...)) task_signature<R, void> s(const Given&... given)
    const { return {name(), detail::pack_bound<std::decay_t<Args>...>(given...), sizeof...(Args)}; }
    template <class... Given>
    requires(sizeof...(Given) + 1 == sizeof...(Args)) auto s(const Given&... given) const {
        using tail = detail::bind_tail<arguments_tuple>;
        return task_signature<R, typename tail::first>{name(), tail::pack(given...),
                                                       sizeof...(Given)};
    }
    template <class... Given>
    requires(sizeof...(Given) == sizeof...(Args) &&
             (std::is_convertible_v<const Given&, std::decay_t<Args>> &&
              ...)) task_signature<R, after_previous> si(const Given&... given)
    const { return {name(), detail::pack_bound<std::decay_t<Args>...>(given...), sizeof...(Args)}; }

  private:
    const char* name_;
};

}  // namespace shoal
