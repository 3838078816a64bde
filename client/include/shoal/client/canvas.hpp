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

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "shoal/client/submit_options.hpp"
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
};

// The arguments a step's task is submitted with: a nil first where the previous result goes.
std::string step_payload(const canvas_step& step);
// Its inputs: the previous tasks' ids, as its first argument (one, or the list) or waited for.
void link_step(proto::submitted_task& task, const canvas_step& step,
               std::span<const proto::task_id> previous, bool list);

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
