#pragma once
// worker_core: everything a shoal::worker does, behind the public class. Its members are
// implemented by concern:
//   worker_core.cpp          starting (signals, pools, link) and shutting down
//   link_thread.cpp          the broker link on its own thread (heartbeats never wait for tasks)
//   worker_session.cpp       the broker dialog: WELCOME, DISPATCH, CANCEL, ERROR
//   worker_jobs.cpp          running jobs on their place, time limits, cancellation
//   worker_results.cpp       outcomes into batched DONE messages, and credit
//   worker_drain.cpp         SIGTERM/SIGINT/stop(): the drain and the grace period
//   worker_subtasks.cpp      worker_context: the client, slots given back while awaiting
// Everything runs on the loop's thread except stop(), the pools' completion callbacks and the
// broker link's events, which come in through the loop_gate.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "credit_ledger.hpp"
#include "job.hpp"
#include "link_thread.hpp"
#include "loop_gate.hpp"
#include "shoal/client/client.hpp"
#include "shoal/common/detail/remote_wait_host.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/http_listener.hpp"
#include "shoal/common/process_pool_executor.hpp"
#include "shoal/common/thread_pool_executor.hpp"
#include "shoal/worker/task_registry.hpp"
#include "shoal/worker/worker_context.hpp"
#include "shoal/worker/worker_options.hpp"
#include "signal_watcher.hpp"
#include "task_log.hpp"

namespace shoal::worker_detail {

class worker_core {
  public:
    explicit worker_core(const worker_options& options);
    ~worker_core();
    worker_core(const worker_core&) = delete;
    worker_core& operator=(const worker_core&) = delete;

    task_registry& registry() noexcept { return registry_; }
    const resolved_worker_options& options() const noexcept { return options_; }
    int run();
    void stop();

    // worker_subtasks.cpp (worker_context's members land here)
    shoal::client& client();
    std::uint64_t current_job() const noexcept;
    bool begin_remote_wait(std::uint64_t number);
    future<void> end_remote_wait(std::uint64_t number);
    void end_remote_wait_now(std::uint64_t number);
    void take_slot_now(std::uint64_t number);

  private:
    // worker_core.cpp
    void start_pools();
    void connect();
    void shut_down();
    void unwind_loop_tasks();
    void close_client() noexcept;
    void report_slow_steps();
    // options_.hooks.alive now and every alive_interval_seconds while the loop turns.
    void tell_alive();
    // options_.http: /healthz and /readyz (worker_core.cpp).
    void start_http();
    http_answer answer_http(std::string_view path) const;
    const job* loop_job_of(const detail::task_driver* driver) const;  // null: not a loop task held

    // worker_session.cpp
    void on_connected(const proto::welcome& session);
    void on_message(proto::command cmd, std::string_view body);
    void on_lost(std::string_view why);
    void on_dispatch(std::string_view body);
    void on_cancel(std::string_view body);
    void on_error(std::string_view body);
    void on_bounced(proto::command cmd, std::string_view body, bool same_session);

    // worker_jobs.cpp
    void accept(proto::dispatched_task task);
    void start_waiting();
    void start(job& j);
    void start_on_loop(job& j);
    void start_on_thread_pool(job& j);
    void start_on_process_pool(job& j);
    // A chunk on the process pool: its next call (chunk_calls.hpp).
    void submit_next_chunk_call(job& j);
    void watch_pool_future(job& j);
    void arm_time_limit(job& j);
    void on_loop_finished(std::uint64_t number);
    void on_pool_finished(std::uint64_t number, const concurrent::future<std::string>& done);
    void on_time_limit(std::uint64_t number);
    void on_soft_time_limit(std::uint64_t number);
    void cancel(std::uint64_t number, bool terminate);
    void finish(std::uint64_t number, proto::outcome outcome,
                std::optional<std::uint64_t> retry_countdown_ms = {});
    void finish_failed(std::uint64_t number, const std::exception_ptr& error);
    std::optional<proto::outcome> end_outcome(const job& j, const std::exception_ptr& error) const;
    std::size_t busy_jobs() const noexcept;
    void resume_parked();
    void park(job& j);
    void unpark(job& j);

    // worker_results.cpp
    void report(proto::finished_task finished);
    // How long a job has run since it took a slot (DONE's runtime, minor 4).
    std::optional<std::uint64_t> runtime_us_of(const job& j) const;
    void schedule_flush();
    void flush();
    void send_started();
    bool send_results();
    void send_credit();

    // worker_drain.cpp
    void on_signal(int signo);
    void begin_drain(std::string_view why);
    // Hands back (DRAIN) every held task not started, or just `tasks` when given.
    void hand_back(std::vector<proto::dispatched_task> tasks = {});
    void check_drained();
    void on_grace_expired();
    void leave(int exit_code);
    // run()'s status when the broker refuses this worker's key (ERROR forbidden to HELLO).
    static constexpr int refused_exit_code = 2;
    [[noreturn]] void exit_now(int signo);
    void kill_process_children() noexcept;

    resolved_worker_options options_;
    task_registry registry_;
    // Declared before everything bound to it, so it is destroyed last.
    event_loop loop_;
    std::shared_ptr<loop_gate> gate_;
    credit_ledger ledger_;
    task_log task_log_{loop_, options_.name, options_.task_log_rate};

    std::unique_ptr<signal_watcher> signals_;
    std::unique_ptr<process_pool_executor> processes_;
    std::unique_ptr<thread_pool_executor> threads_;
    std::unique_ptr<link_thread> link_;      // the broker, on a thread of its own
    std::unique_ptr<shoal::client> client_;  // made by the first worker_context::client()
    worker_context worker_context_{*this};
    // What the loop tells of tasks waiting on remote futures (worker_subtasks.cpp).
    class remote_waits final : public detail::remote_wait_host {
      public:
        explicit remote_waits(worker_core& core) noexcept : core_(core) {}
        bool begin_remote_wait(std::uint64_t tag) override;
        detail::ref_ptr<detail::future_base> end_remote_wait(std::uint64_t tag) override;
        void end_remote_wait_now(std::uint64_t tag) override;
        void take_slot_now(std::uint64_t tag) override;

      private:
        worker_core& core_;
    };
    remote_waits remote_waits_{*this};

    std::map<std::uint64_t, job> jobs_;  // every job held, by number
    std::deque<std::uint64_t> waiting_;  // numbers of waiting jobs, oldest first
    // Parked loop tasks whose subtasks are done, waiting for a slot (before waiting_).
    std::deque<std::pair<std::uint64_t, future<void>>> resuming_;
    std::unordered_map<const detail::task_driver*, std::uint64_t> loop_jobs_;  // driver -> job
    std::uint64_t next_job_ = 1;
    std::uint32_t running_ = 0;                  // slots in use (running and abandoned jobs)
    std::vector<proto::finished_task> results_;  // finished, not yet sent in a DONE
    // Jobs started since the last flush: those still running then are told in a STARTED (one
    // finished meanwhile is told by its DONE), so only they count if the worker dies.
    std::vector<std::uint64_t> started_;
    bool flush_scheduled_ = false;
    timer_handle retry_timer_;

    bool ran_ = false;
    bool draining_ = false;
    bool leaving_ = false;
    bool connected_ = false;  // a session with the broker (WELCOME), for /readyz
    std::unique_ptr<http_listener> http_;
    int exit_code_ = 0;
    timer_handle grace_timer_;
    timer_handle alive_timer_;
};

}  // namespace shoal::worker_detail
