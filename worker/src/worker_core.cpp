#include "worker_core.hpp"

#include <csignal>

#include <spdlog/spdlog.h>

#include "shoal/common/errors.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/version.hpp"
#include "worker_context_scope.hpp"

namespace shoal::worker_detail {

worker_core::worker_core(const worker_options& options)
    : options_(resolve(options)),
      gate_(std::make_shared<loop_gate>(loop_)),
      ledger_(options_.slots + options_.prefetch) {}

worker_core::~worker_core() {
    gate_->close();
    if (!loop_.is_closed() && !loop_.is_running()) {
        // run() never ran, or threw half-way: release in the order shut_down() uses.
        close_client();
        link_.reset();
        jobs_.clear();
        resuming_.clear();
        signals_.reset();
        loop_.set_remote_wait_host(nullptr);
        loop_.close();
    }
}

int worker_core::run() {
    if (ran_) throw event_loop_error("a shoal::worker runs once");
    ran_ = true;
    registry_.freeze();
    loop_.set_remote_wait_host(&remote_waits_);
    if (registry_.size() == 0) spdlog::warn("worker {}: no tasks are defined", options_.name);
    // Order matters: signals are blocked before any thread exists (every thread inherits the
    // mask), and the process pool forks before the thread pool and ZeroMQ start theirs.
    if (options_.handle_signals) {
        signals_ =
            std::make_unique<signal_watcher>(loop_, std::initializer_list<int>{SIGTERM, SIGINT},
                                             [this](int signo) { on_signal(signo); });
    }
    start_pools();
    connect();
    if (options_.slow_loop_seconds > 0) report_slow_steps();
    start_http();
    if (options_.hooks.started) loop_.call_soon(options_.hooks.started);
    if (options_.hooks.alive && options_.hooks.alive_interval_seconds > 0) tell_alive();
    const worker_context_scope scope(worker_context_);
    spdlog::info("worker {}: {} task(s), {} slot(s), prefetch {}, broker {}", options_.name,
                 registry_.size(), options_.slots, options_.prefetch, options_.broker);
    loop_.run_forever();
    shut_down();
    return exit_code_;
}

void worker_core::tell_alive() {
    options_.hooks.alive();
    // A timer, not a thread: only a loop that turns says it is alive.
    alive_timer_ = loop_.call_later(options_.hooks.alive_interval_seconds, [this] {
        if (!leaving_) tell_alive();
    });
}

void worker_core::start_http() {
    if (options_.http.empty()) return;
    http_ = std::make_unique<http_listener>(
        loop_, [this](std::string_view path) { return answer_http(path); },
        std::vector<std::string>{"/healthz", "/readyz"});
    http_->start(options_.http);  // http_error: run() fails, and the daemon says why
}

http_answer worker_core::answer_http(std::string_view path) const {
    if (path == "/healthz") return {200, "ok: the worker's loop is turning\n"};
    if (draining_ || leaving_) return {503, "not ready: draining\n"};
    if (!connected_) return {503, "not ready: no session with " + options_.broker + "\n"};
    return {200, "ready: connected to " + options_.broker + "\n"};
}

void worker_core::stop() {
    try {
        loop_.call_soon_threadsafe([this] { begin_drain("stop() was called"); });
    } catch (const event_loop_error&) {
        // The worker has finished already.
    }
}

void worker_core::start_pools() {
    if (registry_.uses(execution_place::process_pool)) {
        process_pool_options pool_options;
        pool_options.registry = &registry_.process_functions();
        processes_ = std::make_unique<process_pool_executor>(options_.processes, pool_options);
    }
    if (registry_.uses(execution_place::thread_pool)) {
        threads_ = std::make_unique<thread_pool_executor>(options_.threads);
    }
}

void worker_core::connect() {
    proto::dealer_link_options link_options;
    link_options.endpoint = options_.broker;
    link_options.greeting.role = proto::peer_role::worker;
    link_options.greeting.name = options_.name;
    link_options.greeting.software = std::string(shoal::software);
    link_options.greeting.worker = {options_.slots, options_.prefetch, registry_.names(),
                                    options_.queues};
    link_options.heartbeat_ms = options_.heartbeat_ms;
    link_options.liveness = options_.liveness;
    link_options.curve = proto::load_client_keys(options_.broker_key_file, options_.key_file);
    link_thread_events events;
    events.connected = [this](const proto::welcome& w) { on_connected(w); };
    events.message = [this](proto::command cmd, std::string_view body) { on_message(cmd, body); };
    events.lost = [this](std::string_view why) { on_lost(why); };
    events.bounced = [this](proto::command cmd, std::string_view body, bool same_session) {
        on_bounced(cmd, body, same_session);
    };
    link_ = std::make_unique<link_thread>(gate_, std::move(link_options), std::move(events));
    link_->start();
}

// Loop tasks still running when the worker leaves (grace expired): cancel them and give them
// a few passes to unwind, so none is destroyed pending. Their outcomes are not reported: the
// broker re-queues what it never got a result for.
void worker_core::unwind_loop_tasks() {
    for (auto& [number, j] : jobs_) {
        if (j.loop_future.valid() && !j.loop_future.done())
            j.loop_future.cancel("the worker is leaving");
    }
    for (int pass = 0; pass < 100 && loop_.pending_task_count() > 0; ++pass) {
        loop_.stop();
        loop_.run_forever();
    }
}

void worker_core::shut_down() {
    leaving_ = true;
    alive_timer_.cancel();
    if (http_) http_->stop();
    loop_.set_slow_step_observer(
        0, {});  // what follows may take a while, and is no task blocking the loop
    unwind_loop_tasks();
    // The client's thread posts into our loop: it stops before the loop closes.
    close_client();
    link_.reset();
    gate_->close();
    bool threads_busy = false;
    bool processes_busy = false;
    for (const auto& [number, j] : jobs_) {
        if (j.phase == job_phase::waiting) continue;
        threads_busy = threads_busy || j.entry->place == execution_place::thread_pool;
        processes_busy = processes_busy || j.entry->place == execution_place::process_pool;
    }
    if (processes_) {
        if (processes_busy) {
            spdlog::warn("worker {}: stopping process-pool children that still run tasks",
                         options_.name);
            processes_->shutdown(false, true);
            kill_process_children();
        }
        processes_.reset();
    }
    if (threads_) {
        threads_->shutdown(false, true);
        if (threads_busy) {
            // A thread cannot be stopped; joining it could wait forever. The pool is left to
            // the process's exit (its threads touch nothing of the worker: see loop_gate).
            spdlog::warn("worker {}: leaving without waiting for thread-pool tasks still running",
                         options_.name);
            static_cast<void>(threads_.release());
        } else {
            threads_.reset();
        }
    }
    jobs_.clear();
    waiting_.clear();
    resuming_.clear();
    loop_jobs_.clear();
    signals_.reset();
    loop_.set_remote_wait_host(nullptr);
    loop_.close();
    spdlog::info("worker {}: stopped", options_.name);
}

// A step of the task loop that ran past --slow-loop is logged when it ends, naming its task
// (looked up by the step's task in loop_jobs_), as asyncio's slow-callback warning does. The
// broker link runs on a thread of its own, so the block only delayed the worker's tasks.
void worker_core::report_slow_steps() {
    loop_.set_slow_step_observer(options_.slow_loop_seconds, [this](event_loop&,
                                                                    const slow_step& step) {
        const job* j = loop_job_of(step.task);
        if (j == nullptr) {
            spdlog::warn("worker {}: a {} blocked the loop for {:.2f} s", options_.name, step.kind,
                         step.seconds);
        } else {
            spdlog::warn(
                "worker {}: task {} ({}) blocked the loop for {:.2f} s; a loop task must await, "
                "not "
                "block (run blocking code with run_in_executor, or in a thread or process task)",
                options_.name, j->task.name, j->task.id.to_hex(), step.seconds);
        }
    });
}

const job* worker_core::loop_job_of(const detail::task_driver* driver) const {
    if (driver == nullptr) return nullptr;
    const auto number = loop_jobs_.find(driver);
    if (number == loop_jobs_.end()) return nullptr;
    const auto it = jobs_.find(number->second);
    return it == jobs_.end() ? nullptr : &it->second;
}

}  // namespace shoal::worker_detail
