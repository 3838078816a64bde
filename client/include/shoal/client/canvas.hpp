#pragma once
// Canvas: workflows of tasks (Celery's chain, group and chord), each submitted as one batch and
// run by the broker with no client in between (PROTOCOL.md section 6.5): the submitter may
// leave once the batch is accepted, and with Redis the workflow survives a broker restart.
//
//   // ((1 + 2) * 10) - 1: each result becomes the next task's first argument
//   remote_future<long> r = client.submit(shoal::chain(add.s(1, 2), mul.s(10), add.s(-1)));
//   // runs after the chain's previous task, takes nothing from it
//   client.submit(shoal::chain(store.s(doc), notify.si("stored")));
//   // tasks side by side; the results gather in order
//   remote_group<long> g = client.submit(shoal::group(count.s(a), count.s(b)));
//   // a callback given the list of the group's results, fired once they are all in
//   remote_future<long> total = client.submit(shoal::chord(shoal::group(count.s(a),
//                                                                       count.s(b)), sum.s()));
//
// Types are checked at compile time: a chain step's first parameter must be what the step
// before returns, a group's members return one type, a chord's callback takes a std::vector
// of it. Per-task options apply inside a workflow: add.s(1).set({.queue = "fast"}).
// A step that fails fails the steps after it (shoal::input_failed, naming it and carrying its
// error); revoking a step revokes them.

#include <cstddef>
#include <memory>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "shoal/client/submit_options.hpp"
#include "shoal/common/task_def.hpp"
#include "shoal/common/task_signature.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal {

namespace detail {

// One task of a workflow, its types checked and erased.
struct canvas_step {
    std::string_view name;
    std::string bound;  // the bound arguments' msgpack values
    std::uint32_t bound_count = 0;
    bool takes_previous = false;  // its first argument is the previous task's result
    bool after_previous = false;  // it only waits for the previous task (si)
    std::shared_ptr<const submit_options> options;
    bool chunk = false;  // many calls in one task (chunks): `bound` is their argument list
};

// The arguments a step's task is submitted with: a nil first where the previous result goes.
std::string step_payload(const canvas_step& step);
// Its inputs: the previous tasks' ids, as its first argument (one, or the list) or waited for.
void link_step(proto::submitted_task& task, const canvas_step& step,
               std::span<const proto::task_id> previous, bool list);

// An item's values, converted to the declared types: a tuple's elements, or for a one-argument
// task the item itself. pack_item gives the values alone; pack_item_array the msgpack array.
template <class Item, class... Declared>
constexpr bool is_single_argument() {
    if constexpr (sizeof...(Declared) == 1) {
        return std::is_convertible_v<const Item&, Declared...>;
    } else {
        return false;
    }
}
template <class... Declared, class Item>
std::string pack_item(const Item& item) {
    if constexpr (is_single_argument<Item, Declared...>()) {
        return pack_bound<Declared...>(item);
    } else {
        static_assert(std::tuple_size_v<Item> == sizeof...(Declared),
                      "each item is a tuple of the task's arguments");
        return std::apply([](const auto&... given) { return pack_bound<Declared...>(given...); },
                          item);
    }
}
template <class... Declared, class Item>
std::string pack_item_array(const Item& item) {
    std::string out;
    string_stream stream{&out};
    msgpack::packer<string_stream>(stream).pack_array(sizeof...(Declared));
    out += pack_item<Declared...>(item);
    return out;
}
// msgpack arrays (each one value's bytes) as one msgpack array.
std::string pack_list_of(const std::vector<std::string>& values);

template <class R, class From>
canvas_step step_of(const task_signature<R, From>& s) {
    canvas_step step{s.name, s.bound, s.bound_count, false, false, s.options};
    step.after_previous = std::is_same_v<From, after_previous>;
    step.takes_previous = !std::is_void_v<From> && !step.after_previous;
    return step;
}

template <class Signature>
inline constexpr bool is_complete_signature_v =
    std::is_void_v<typename Signature::from_type> ||
    std::is_same_v<typename Signature::from_type, after_previous>;

template <class Previous, class Next>
constexpr bool chains_into() {
    using from = typename Next::from_type;
    return std::is_same_v<from, after_previous> ||
           std::is_same_v<from, typename Previous::result_type>;
}

template <class First, class Second, class... Rest>
constexpr bool chain_links() {
    if constexpr (sizeof...(Rest) == 0) {
        return chains_into<First, Second>();
    } else {
        return chains_into<First, Second>() && chain_links<Second, Rest...>();
    }
}

template <class First, class... Rest>
struct last_of {
    using type = typename last_of<Rest...>::type;
};
template <class Last>
struct last_of<Last> {
    using type = Last;
};

}  // namespace detail

template <class R>
struct chain_workflow {
    std::vector<detail::canvas_step> steps;
};

template <class R>
struct group_workflow {
    std::vector<detail::canvas_step> members;
};

template <class R>
struct chord_workflow {
    std::vector<detail::canvas_step> header;
    detail::canvas_step callback;
};

// Each step's result becomes the next one's first argument (or, for an si() step, the next
// only waits for it).
template <class First, class... Rest>
auto chain(const First& first, const Rest&... rest) {
    static_assert(detail::is_complete_signature_v<First>,
                  "a chain's first task takes every argument from the signature: add.s(1, 2)");
    if constexpr (sizeof...(Rest) > 0) {
        static_assert(detail::chain_links<First, Rest...>(),
                      "each chain step's first parameter must be the type the step before "
                      "returns (leave it out: mul.s(10)), or use si() to ignore it");
    }
    using last = typename detail::last_of<First, Rest...>::type;
    chain_workflow<typename last::result_type> c;
    c.steps.reserve(1 + sizeof...(Rest));
    c.steps.push_back(detail::step_of(first));
    (c.steps.push_back(detail::step_of(rest)), ...);
    return c;
}

// Tasks that run side by side; their results gather in order (remote_group).
template <class First, class... Rest>
auto group(const First& first, const Rest&... rest) {
    static_assert(
        detail::is_complete_signature_v<First> && (detail::is_complete_signature_v<Rest> && ...),
        "a group's tasks take every argument from their signatures: add.s(1, 2)");
    using R = typename First::result_type;
    static_assert((std::is_same_v<R, typename Rest::result_type> && ...),
                  "a group's tasks return one type");
    group_workflow<R> g;
    g.members.reserve(1 + sizeof...(Rest));
    g.members.push_back(detail::step_of(first));
    (g.members.push_back(detail::step_of(rest)), ...);
    return g;
}

// A group of one signature per item: add.s(item...) for each (an argument, or a tuple of them).
template <class R, class From>
group_workflow<R> group(const std::vector<task_signature<R, From>>& signatures) {
    static_assert(std::is_void_v<From> || std::is_same_v<From, after_previous>,
                  "a group's tasks take every argument from their signatures");
    group_workflow<R> g;
    g.members.reserve(signatures.size());
    for (const auto& s : signatures) g.members.push_back(detail::step_of(s));
    return g;
}

// One task per item, each the task called with the item's arguments (Celery's starmap): items
// are tuples of the arguments (or, for a one-argument task, the arguments themselves).
//
//   remote_group<long> sums = client.submit(shoal::starmap(add, pairs));   // pairs: {{1, 2}, ...}
template <class R, class... Args, class Items>
group_workflow<R> starmap(const task_def<R(Args...)>& def, const Items& items,
                          const submit_options& options = {}) {
    group_workflow<R> g;
    if constexpr (std::ranges::sized_range<Items>) g.members.reserve(std::ranges::size(items));
    auto shared = std::make_shared<const submit_options>(options);
    for (const auto& item : items) {
        detail::canvas_step step;
        step.name = def.name();
        step.bound = detail::pack_item<std::decay_t<Args>...>(item);
        step.bound_count = sizeof...(Args);
        step.options = shared;
        g.members.push_back(std::move(step));
    }
    return g;
}

// The items split into tasks of at most `size` calls each (Celery's chunks): one message and
// one worker slot per chunk instead of per call, for many small calls. Each chunk's result is
// the list of its calls' results, in order; the first call that fails fails its chunk.
//
//   auto parts = client.submit(shoal::chunks(add, pairs, 100));   // remote_group<vector<long>>
//   auto all = client.submit(shoal::chord(shoal::chunks(add, pairs, 100), flatten_sum.s()));
template <class R, class... Args, class Items>
group_workflow<std::vector<R>> chunks(const task_def<R(Args...)>& def, const Items& items,
                                      std::size_t size, const submit_options& options = {}) {
    if (size == 0) throw std::invalid_argument("shoal::chunks: the chunk size must be positive");
    group_workflow<std::vector<R>> g;
    auto shared = std::make_shared<const submit_options>(options);
    std::vector<std::string> calls;
    const auto close_chunk = [&] {
        detail::canvas_step step;
        step.name = def.name();
        step.bound = detail::pack_list_of(calls);
        step.bound_count = 1;
        step.options = shared;
        step.chunk = true;
        g.members.push_back(std::move(step));
        calls.clear();
    };
    for (const auto& item : items) {
        calls.push_back(detail::pack_item_array<std::decay_t<Args>...>(item));
        if (calls.size() == size) close_chunk();
    }
    if (!calls.empty()) close_chunk();
    return g;
}

// The callback runs once every task of the header is done, given the list of their results
// in order; it fires exactly once (the broker holds it, with Redis across restarts). A header
// task that fails fails the callback.
template <class R, class Callback>
auto chord(const group_workflow<R>& header, const Callback& body) {
    static_assert(std::is_same_v<typename Callback::from_type, std::vector<R>>,
                  "a chord's callback takes the std::vector of its header's results as its first "
                  "parameter (leave it out: merge.s())");
    chord_workflow<typename Callback::result_type> c;
    c.header = header.members;
    c.callback = detail::step_of(body);
    return c;
}

}  // namespace shoal
