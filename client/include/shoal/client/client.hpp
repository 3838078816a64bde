#pragma once
// shoal::client: submits tasks to a Shoal cluster through its broker and returns remote
// futures. An executor like thread_pool_executor and process_pool_executor (submit, map,
// shutdown via close), but the work runs on the cluster's workers.
//
//   inline constexpr shoal::task_def<int(int, int)> add{"add"};   // shared header
//
//   shoal::client client("tcp://127.0.0.1:5555");
//   shoal::remote_future<int> f = client.submit(add, 2, 3);         // checked at compile time
//   int five = f.get(5.0);
//   auto g = client.submit({.queue = "fast", .priority = 5}, add, 4, 5);
//   std::vector<int> sums = client.map(add, std::vector<std::tuple<int, int>>{{1, 2}, {3, 4}});
//
// Threads: the client owns one I/O thread running a common/ event_loop, which owns the
// DEALER socket (proto::dealer_link: HELLO/WELCOME, heartbeats, reconnect with back-off).
// Every public member may be called from any thread, also from a task on an event_loop (none
// of them blocks except wait_connected, flush, map and close, and submit while the outbox is
// full). Submits from all threads are queued and sent in batched SUBMIT messages once per
// turn of the I/O loop.
//
// Back-pressure: tasks not yet accepted by the broker are bounded (client_options'
// max_unaccepted_tasks and max_unaccepted_bytes). Past the bound submit() waits for the
// broker to accept some, and try_submit() returns no future; a broker at its own budget
// answers busy, and the client sends those tasks again after the broker's retry-after.
// Nothing is lost either way.
//
// Connection: the constructor returns at once; tasks submitted before the broker answers are
// sent when it does. After a reconnect the client resends what the broker never acknowledged
// (same task ids: the broker accepts a repeat idempotently) and asks again (FETCH) for every
// result it still waits on; a task the broker no longer knows is submitted again
// (at-least-once).
//
// Lifetime: close() (or the destructor) stops the I/O thread; it first waits up to
// client_options::close_grace_s for the broker to acknowledge tasks already submitted.
// Futures still pending then fail with client_closed_error; submits after close throw
// executor_shutdown_error. Do not close the client from one of its own done callbacks.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "shoal/client/canvas.hpp"
#include "shoal/client/client_options.hpp"
#include "shoal/client/cluster_event.hpp"
#include "shoal/client/combinators.hpp"
#include "shoal/client/detail/call_codec.hpp"
#include "shoal/client/detail/call_inputs.hpp"
#include "shoal/client/detail/remote_state.hpp"
#include "shoal/client/errors.hpp"
#include "shoal/client/fetch_result.hpp"
#include "shoal/client/periodic_options.hpp"
#include "shoal/client/raw_msgpack.hpp"
#include "shoal/client/remote_future.hpp"
#include "shoal/client/remote_group.hpp"
#include "shoal/client/submit_options.hpp"
#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/task_def.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal {

namespace detail {
// One task on its way from a submitting thread to the I/O thread (the task is in the state).
struct outgoing_task {
    std::shared_ptr<remote_state_base> state;
};
}  // namespace detail

class client {
  public:
    // Starts the I/O thread and connects to `endpoint` (e.g. "tcp://127.0.0.1:5555").
    explicit client(std::string endpoint, client_options options = {});
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // ---- submitting ----

    // Runs def(args...) on a worker. Arguments convert to the declared types at compile time.
    template <class R, class... Args>
    remote_future<R> submit(const task_def<R(Args...)>& def, std::type_identity_t<Args>... args) {
        return submit(submit_options{}, def, std::move(args)...);
    }

    template <class R, class... Args>
    remote_future<R> submit(const submit_options& options, const task_def<R(Args...)>& def,
                            std::type_identity_t<Args>... args) {
        auto [outgoing, future] = prepare<R>(
            def.name(), options, detail::pack_call_arguments<std::decay_t<Args>...>(args...));
        enqueue(std::move(outgoing));
        return future;
    }

    // Futures as arguments (dataflow, PROTOCOL.md section 6.5): any argument may be the
    // remote_future of another task whose result has the declared type (a remote_group<T>
    // where std::vector<T> is declared), checked at compile time:
    //   auto f1 = client.submit(add, 1, 2);
    //   auto f2 = client.submit(add, 3, 4);
    //   auto product = client.submit(mul, f1, f2);   // mul(3, 7), no round trip in between
    // The broker holds the task until its inputs are done and puts their results in place; an
    // input that fails fails it (remote_task_error of type shoal::input_failed, naming the
    // input and carrying its error), one revoked revokes it. The inputs must have been
    // submitted before (through any client of the same key), and not be forgotten by the
    // broker (their result's TTL).
    template <class R, class... Args, class... Given>
    requires(sizeof...(Given) == sizeof...(Args) && (detail::is_remote_input_v<Given> || ...) &&
             (detail::fits_argument<std::decay_t<Args>, Given>() && ...))
        remote_future<R> submit(const task_def<R(Args...)>& def, const Given&... given) {
        return submit(submit_options{}, def, given...);
    }
    template <class R, class... Args, class... Given>
    requires(sizeof...(Given) == sizeof...(Args) && (detail::is_remote_input_v<Given> || ...) &&
             (detail::fits_argument<std::decay_t<Args>, Given>() &&
              ...)) remote_future<R> submit(const submit_options& options,
                                            const task_def<R(Args...)>& def,
                                            const Given&... given) {
        std::vector<proto::task_input> inputs;
        std::string payload =
            detail::pack_call_with_inputs<std::decay_t<Args>...>(inputs, given...);
        auto [outgoing, future] = prepare<R>(def.name(), options, std::move(payload));
        outgoing.state->task.options.inputs = std::move(inputs);
        enqueue(std::move(outgoing));
        return future;
    }

    // Workflows (canvas.hpp), each submitted as one batch: the future of a chain's last task,
    // the futures of a group's tasks, the future of a chord's callback.
    template <class R>
    remote_future<R> submit(const chain_workflow<R>& chain) {
        std::vector<detail::outgoing_task> batch;
        batch.reserve(chain.steps.size());
        std::vector<proto::task_id> previous;
        for (std::size_t i = 0; i + 1 < chain.steps.size(); ++i) {
            auto [outgoing, future] = prepare_step<raw_msgpack>(chain.steps[i], previous, false);
            previous.assign(1, future.id());
            batch.push_back(std::move(outgoing));
        }
        auto [outgoing, future] = prepare_step<R>(chain.steps.back(), previous, false);
        batch.push_back(std::move(outgoing));
        enqueue_many(std::move(batch));
        return future;
    }
    template <class R>
    remote_group<R> submit(const group_workflow<R>& group) {
        std::vector<detail::outgoing_task> batch;
        batch.reserve(group.members.size());
        std::vector<remote_future<R>> futures;
        futures.reserve(group.members.size());
        for (const detail::canvas_step& step : group.members) {
            auto [outgoing, future] = prepare_step<R>(step, {}, false);
            batch.push_back(std::move(outgoing));
            futures.push_back(std::move(future));
        }
        enqueue_many(std::move(batch));
        return remote_group<R>(std::move(futures));
    }
    template <class R>
    remote_future<R> submit(const chord_workflow<R>& chord) {
        std::vector<detail::outgoing_task> batch;
        batch.reserve(chord.header.size() + 1);
        std::vector<proto::task_id> header;
        header.reserve(chord.header.size());
        for (const detail::canvas_step& step : chord.header) {
            auto [outgoing, future] = prepare_step<raw_msgpack>(step, {}, false);
            header.push_back(future.id());
            batch.push_back(std::move(outgoing));
        }
        auto [outgoing, future] = prepare_step<R>(chord.callback, header, true);
        batch.push_back(std::move(outgoing));
        enqueue_many(std::move(batch));
        return future;
    }

    // Like submit, but never waits for room in the outbox (client_options'
    // max_unaccepted_tasks/bytes): no future, and nothing submitted, when it is full.
    template <class R, class... Args>
    std::optional<remote_future<R>> try_submit(const task_def<R(Args...)>& def,
                                               std::type_identity_t<Args>... args) {
        return try_submit(submit_options{}, def, std::move(args)...);
    }
    template <class R, class... Args>
    std::optional<remote_future<R>> try_submit(const submit_options& options,
                                               const task_def<R(Args...)>& def,
                                               std::type_identity_t<Args>... args) {
        auto [outgoing, future] = prepare<R>(
            def.name(), options, detail::pack_call_arguments<std::decay_t<Args>...>(args...));
        if (!try_enqueue(outgoing)) return std::nullopt;
        return future;
    }

    // The untyped path for tools and other languages: `msgpack_args` is a msgpack array of
    // the arguments; the result comes back as its msgpack bytes.
    remote_future<raw_msgpack> submit_raw(std::string_view name, std::string msgpack_args,
                                          const submit_options& options = {});
    // The same, with arguments that are other tasks' results (PROTOCOL.md 6.5): each input's
    // index holds a nil in msgpack_args.
    remote_future<raw_msgpack> submit_raw(std::string_view name, std::string msgpack_args,
                                          const submit_options& options,
                                          std::vector<proto::task_input> inputs);

    // Submits def(item...) for every item (the argument itself, or a tuple of the arguments
    // for a task taking several) under one lock, and returns the futures in input order.
    template <class R, class... Args, std::ranges::input_range Range>
    std::vector<remote_future<R>> submit_many(const task_def<R(Args...)>& def, const Range& items,
                                              const submit_options& options = {}) {
        std::vector<remote_future<R>> futures;
        std::vector<detail::outgoing_task> batch;
        if constexpr (std::ranges::sized_range<Range>) {
            futures.reserve(std::ranges::size(items));
            batch.reserve(std::ranges::size(items));
        }
        for (const auto& item : items) {
            std::string payload;
            if constexpr (sizeof...(Args) == 1) {
                payload = detail::pack_call_arguments<std::decay_t<Args>...>(item);
            } else {
                payload = std::apply(
                    [](const std::decay_t<Args>&... args) {
                        return detail::pack_call_arguments<std::decay_t<Args>...>(args...);
                    },
                    std::tuple<std::decay_t<Args>...>(item));
            }
            auto [outgoing, future] = prepare<R>(def.name(), options, std::move(payload));
            batch.push_back(std::move(outgoing));
            futures.push_back(std::move(future));
        }
        enqueue_many(std::move(batch));
        return futures;
    }

    // Executor-style map: submit_many, then the results in input order. The timeout bounds
    // the whole collection (timeout_error); the first error in input order is rethrown. On
    // either, the tasks not yet collected are revoked.
    template <class R, class... Args, std::ranges::input_range Range>
    std::vector<R> map(const task_def<R(Args...)>& def, const Range& items,
                       std::optional<double> timeout_seconds = {}) {
        static_assert(!std::is_void_v<R>, "map collects results: the task must return one");
        const auto until = concurrent::detail::deadline_after(timeout_seconds);
        auto futures = submit_many(def, items);
        std::vector<R> results;
        results.reserve(futures.size());
        try {
            for (const auto& f : futures) {
                results.push_back(f.get(concurrent::detail::seconds_until(until)));
            }
        } catch (...) {
            for (std::size_t i = results.size(); i < futures.size(); ++i) futures[i].cancel();
            throw;
        }
        return results;
    }

    // ---- results by id (from any client) ----

    // Waits for the result of the task `id`, whoever submitted it. Fails with
    // result_unknown_error if the broker has no record of it, result_expired_error if its
    // result expired; a pending task is asked for again until done.
    template <class T>
    remote_future<T> fetch(const proto::task_id& id) {
        auto state = std::make_shared<detail::remote_state<T>>(id, core_weak());
        register_fetch(state);
        return remote_future<T>(std::move(state));
    }
    // One question to the broker: the task's state now (unknown, pending, done, expired),
    // with the outcome when done.
    concurrent::future<fetch_result> fetch_state(const proto::task_id& id);

    // ---- control ----

    // Asks the broker to revoke the task (drop it from its queue, or cancel it on its
    // worker). A future of this client for it becomes cancelled. No reply on the wire.
    // With terminate, a running process-pool task's child is killed rather than left to
    // finish (Celery's revoke(terminate=True)).
    void revoke(const proto::task_id& id, bool terminate = false);
    // Runs a dead-lettered task again (`shoal inspect dead` lists them); its new result can
    // be fetched by id. An id that is not a dead letter is ignored.
    void requeue(const proto::task_id& id);
    // Drops every task waiting in `queue`; the future gives how many were dropped.
    concurrent::future<std::uint64_t> purge(std::string queue);
    // The broker's report on "workers", "queues", "active", "dead", "limits" or "stats".
    concurrent::future<proto::report> inspect(std::string what);
    // An operation on the broker itself, for an admin key: "reload-keys" rereads its key
    // directories (as SIGHUP does); the report's one row counts the keys and the sessions
    // ended. A refusal (forbidden, an open broker: failed) is a broker_error.
    concurrent::future<proto::report> admin(std::string action);
    // The same with the request's params and payload (PROTOCOL.md 6.6).
    concurrent::future<proto::report> admin(proto::admin request);

    // ---- periodic tasks (broker/README.md, "Periodic tasks"; admin keys) ----

    // Adds (or replaces) the broker's periodic task `name`: `call` is submitted at every
    // slot of `schedule` ("every 10s", "cron 0 9 * * mon-fri"), as one task whose id is
    // made of the name and the slot, so a slot runs once, across broker restarts with Redis.
    // The report's one row describes it (next_unix_ms: its next slot). A bad schedule or
    // zone is a broker_error naming it.
    //
    //     client.add_periodic("nightly", "cron 0 2 * * *", journal_sum.s(numbers, path),
    //                         {.zone = "Europe/Paris"});
    template <class R>
    concurrent::future<proto::report> add_periodic(std::string name, std::string schedule,
                                                   const task_signature<R, void>& call,
                                                   periodic_options options = {}) {
        std::string args;
        detail::string_stream stream{&args};
        msgpack::packer<detail::string_stream> packer(stream);
        packer.pack_array(call.bound_count);
        args += call.bound;
        if (options.queue.empty() && call.options) options.queue = call.options->queue;
        return add_periodic_raw(std::move(name), std::move(schedule), std::string(call.name),
                                std::move(args), options);
    }
    // The same with the task's name and its arguments' msgpack array as given.
    concurrent::future<proto::report> add_periodic_raw(std::string name, std::string schedule,
                                                       std::string task, std::string args,
                                                       const periodic_options& options = {});
    // Removes it (its slot task running now, if any, finishes); a broker_error if unknown.
    concurrent::future<proto::report> remove_periodic(std::string name);
    // Paused, it fires nothing; resumed, it goes on from the next slot (those passed while
    // paused are skipped).
    concurrent::future<proto::report> pause_periodic(std::string name, bool paused = true);
    // One row per periodic task (`shoal periodic list`).
    concurrent::future<proto::report> list_periodic();

    // ---- events (PROTOCOL.md 6.4) ----

    // Subscribes this client to the broker's event stream: on_events runs on the client's I/O
    // thread for every batch, oldest first (keep it short: nothing else of this client moves
    // while it runs). One subscription per client; subscribing again replaces the handler.
    // Kept across reconnects (events told while the client was away are not replayed; the
    // events' clock shows the gap). The future fails with broker_error if the broker refuses
    // (forbidden: a broker with keys tells events to admin keys only), with
    // client_closed_error when the client closes, and is done after unsubscribe_events().
    concurrent::future<void> subscribe_events(event_handler on_events);
    void unsubscribe_events();

    // ---- connection ----

    // Blocks until a session with the broker is up (true) or the timeout passes (false).
    bool wait_connected(std::optional<double> timeout_seconds = {});
    bool connected() const noexcept;
    // Blocks until the broker has acknowledged (accepted or refused) every task submitted
    // so far and nothing submitted since is unacknowledged; false if the timeout passed or
    // the client closed first.
    bool flush(std::optional<double> timeout_seconds = {});
    // Stops the I/O thread (see the header comment). Idempotent; any thread but the I/O one.
    void close();
    // Alias of close() for code written against the executors' interface.
    void shutdown() { close(); }

    const std::string& endpoint() const noexcept { return endpoint_; }

  private:
    template <class R>
    // payload is moved into fill_task: clang-tidy 14 misreads the dependent call as a copy.
    std::pair<detail::outgoing_task, remote_future<R>> prepare(
        std::string_view name, const submit_options& options,
        // NOLINTNEXTLINE(performance-unnecessary-value-param)
        std::string payload) {
        auto state =
            std::make_shared<detail::remote_state<R>>(proto::task_id::random(), core_weak());
        fill_task(state->task, state->id(), name, options, std::move(payload));
        detail::outgoing_task out{state};
        return {std::move(out), remote_future<R>(std::move(state))};
    }

    // A workflow step as a task: its bound arguments, and its inputs from the tasks before it
    // (as the first argument, one result or, for a chord's callback, the list; or only waited
    // for by an si() step).
    template <class R>
    std::pair<detail::outgoing_task, remote_future<R>> prepare_step(
        const detail::canvas_step& step, std::span<const proto::task_id> previous, bool list) {
        auto prepared = prepare<R>(step.name, step.options ? *step.options : submit_options{},
                                   detail::step_payload(step));
        detail::link_step(prepared.first.state->task, step, previous, list);
        if (step.chunk) prepared.first.state->task.options.chunk = true;
        return prepared;
    }

    // Non-template parts (client.cpp).
    void fill_task(proto::submitted_task& task, const proto::task_id& id, std::string_view name,
                   const submit_options& options, std::string payload) const;
    std::weak_ptr<detail::client_core> core_weak() const noexcept;
    void enqueue(detail::outgoing_task task);
    bool try_enqueue(detail::outgoing_task& task);
    void enqueue_many(std::vector<detail::outgoing_task> tasks);
    void register_fetch(std::shared_ptr<detail::remote_state_base> state);

    std::string endpoint_;
    std::shared_ptr<detail::client_core> core_;
};

}  // namespace shoal
