#pragma once
// shoal::task_signature<R, From>: a task call written down to be made later, Celery's
// signature (`add.s(2)`), made by a task_def:
//
//   add.s(2, 3)    every argument bound: task_signature<long, void>
//   add.s(3)       all but the first: the task before it in a chain gives the first argument
//                  (task_signature<long, long>: From is the type it takes)
//   add.si(2, 3)   immutable: every argument bound, and in a chain it takes nothing from the
//                  task before it, it only runs after it (task_signature<long, after_previous>)
//   add.s(3).set({.queue = "fast"})   with submit options (shoal/client/submit_options.hpp)
//
// Arguments convert to the declared types here, at compile time, as they do in submit. The
// client's canvas runs signatures (shoal/client/canvas.hpp: chain, group, chord); the bound
// arguments are kept packed (msgpack values, in order), so a signature is plain data.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <msgpack.hpp>

#include "shoal/common/detail/msgpack_codec.hpp"

namespace shoal {

struct submit_options;  // shoal/client/submit_options.hpp

// The From of an immutable signature (si): it waits for the task before it, takes nothing.
struct after_previous {};

template <class R, class From>
struct task_signature {
    using result_type = R;
    using from_type = From;  // void: takes nothing from the task before it

    std::string_view name;
    std::string bound;  // the bound arguments' msgpack values, in order, no array header
    std::uint32_t bound_count = 0;
    std::shared_ptr<const submit_options> options{};

    // A copy with these options (queue, priority, retries, time limits...).
    template <class Options = submit_options>
    task_signature set(Options o) const {
        task_signature copy = *this;
        copy.options = std::make_shared<const Options>(std::move(o));
        return copy;
    }
};

namespace detail {

// The msgpack values of `given`, each converted to its declared type first.
template <class... Declared, class... Given>
std::string pack_bound(const Given&... given) {
    static_assert(sizeof...(Declared) == sizeof...(Given));
    std::string out;
    string_stream stream{&out};
    msgpack::packer<string_stream> packer(stream);
    (packer.pack(static_cast<Declared>(given)), ...);
    return out;
}

// The same for every declared type but the first (the one a chain fills).
template <class Tuple>
struct bind_tail;
template <class First, class... Rest>
struct bind_tail<std::tuple<First, Rest...>> {
    using first = First;
    template <class... Given>
    static std::string pack(const Given&... given) {
        return pack_bound<Rest...>(given...);
    }
};

}  // namespace detail

}  // namespace shoal
