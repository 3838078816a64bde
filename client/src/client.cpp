#include "shoal/client/client.hpp"

#include <utility>

#include "client_core.hpp"

namespace shoal {

client::client(std::string endpoint, client_options options)
    : endpoint_(endpoint),
      core_(std::make_shared<detail::client_core>(std::move(endpoint), std::move(options))) {
    core_->start();
}

client::~client() { close(); }

void client::close() { core_->close(); }

bool client::wait_connected(std::optional<double> timeout_seconds) {
    return core_->wait_connected(timeout_seconds);
}

bool client::connected() const noexcept { return core_->connected(); }

bool client::flush(std::optional<double> timeout_seconds) {
    core_->forbid_blocking_on_io_thread("flush()");
    auto done = concurrent::make_future<bool>();
    try {
        core_->post([core = core_.get(), done] { core->add_flush_waiter(done); });
    } catch (const executor_shutdown_error&) {
        return false;
    }
    try {
        return done.result(timeout_seconds);
    } catch (const timeout_error&) {
        return false;
    } catch (const client_closed_error&) {
        return false;
    }
}

void client::fill_task(proto::submitted_task& task, const proto::task_id& id, std::string_view name,
                       const submit_options& options, std::string payload) const {
    detail::check_task_name(name);
    task.id = id;
    task.name.assign(name);
    task.queue = detail::queue_name(options);
    task.payload = std::move(payload);
    task.options = detail::to_wire(options);
}

std::weak_ptr<detail::client_core> client::core_weak() const noexcept { return core_; }

void client::enqueue(detail::outgoing_task task) { core_->enqueue(std::move(task)); }

bool client::try_enqueue(detail::outgoing_task& task) { return core_->try_enqueue(task); }

void client::enqueue_many(std::vector<detail::outgoing_task> tasks) {
    core_->enqueue_many(std::move(tasks));
}

remote_future<raw_msgpack> client::submit_raw(std::string_view name, std::string msgpack_args,
                                              const submit_options& options) {
    return submit_raw(name, std::move(msgpack_args), options, {});
}

remote_future<raw_msgpack> client::submit_raw(std::string_view name, std::string msgpack_args,
                                              const submit_options& options,
                                              std::vector<proto::task_input> inputs) {
    auto [outgoing, future] = prepare<raw_msgpack>(name, options, std::move(msgpack_args));
    outgoing.state->task.options.inputs = std::move(inputs);
    enqueue(std::move(outgoing));
    return future;
}

void client::register_fetch(std::shared_ptr<detail::remote_state_base> state) {
    core_->post([core = core_.get(), state = std::move(state)]() mutable {
        core->add_fetch_waiter(std::move(state));
    });
}

concurrent::future<fetch_result> client::fetch_state(const proto::task_id& id) {
    auto reply = concurrent::make_future<fetch_result>();
    core_->post([core = core_.get(), id, reply] { core->add_state_query(id, reply); });
    return reply;
}

void client::revoke(const proto::task_id& id, bool terminate) {
    core_->post([core = core_.get(), id, terminate] { core->revoke(id, terminate); });
}

void client::requeue(const proto::task_id& id) {
    core_->post([core = core_.get(), id] { core->requeue(id); });
}

concurrent::future<std::uint64_t> client::purge(std::string queue) {
    auto reply = concurrent::make_future<std::uint64_t>();
    core_->post([core = core_.get(), queue = std::move(queue), reply]() mutable {
        core->add_purge(std::move(queue), reply);
    });
    return reply;
}

concurrent::future<proto::report> client::inspect(std::string what) {
    auto reply = concurrent::make_future<proto::report>();
    core_->post([core = core_.get(), what = std::move(what), reply]() mutable {
        core->add_inspect(std::move(what), reply);
    });
    return reply;
}

concurrent::future<proto::report> client::admin(std::string action) {
    return admin(proto::admin{std::move(action), {}, {}});
}

concurrent::future<proto::report> client::admin(proto::admin request) {
    auto reply = concurrent::make_future<proto::report>();
    core_->post([core = core_.get(), request = std::move(request), reply]() mutable {
        core->add_admin(std::move(request), reply);
    });
    return reply;
}

concurrent::future<proto::report> client::add_periodic_raw(std::string name, std::string schedule,
                                                           std::string task, std::string args,
                                                           const periodic_options& options) {
    proto::admin request{"periodic-add",
                         {{"name", std::move(name)},
                          {"task", std::move(task)},
                          {"schedule", std::move(schedule)},
                          {"zone", options.zone},
                          {"missed", options.missed},
                          {"queue", options.queue}},
                         std::move(args)};
    return admin(std::move(request));
}

concurrent::future<proto::report> client::remove_periodic(std::string name) {
    return admin(proto::admin{"periodic-remove", {{"name", std::move(name)}}, {}});
}

concurrent::future<proto::report> client::pause_periodic(std::string name, bool paused) {
    return admin(proto::admin{
        paused ? "periodic-pause" : "periodic-resume", {{"name", std::move(name)}}, {}});
}

concurrent::future<proto::report> client::list_periodic() {
    return admin(proto::admin{"periodic-list", {}, {}});
}

concurrent::future<void> client::subscribe_events(event_handler on_events) {
    auto reply = concurrent::make_future<void>();
    core_->post([core = core_.get(), on_events = std::move(on_events), reply]() mutable {
        core->subscribe_events(std::move(on_events), reply);
    });
    return reply;
}

void client::unsubscribe_events() {
    core_->post([core = core_.get()] { core->unsubscribe_events(); });
}

}  // namespace shoal
