#pragma once
// worker_options: how a shoal::worker connects and how much work it takes. Every field has a
// default; resolve() fills in the ones left unset (see worker/README.md for the reasoning).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoal {

// What a supervisor hears of a running worker (shoal-worker turns them into systemd
// notifications). Each is called on the worker's loop thread, and may be empty.
struct worker_hooks {
    std::function<void()> started;   // run() serves: the pools are up, the broker link starts
    std::function<void()> draining;  // a drain began (SIGTERM, stop())
    // The broker link changed: "connected to tcp://...", "broker lost: ...".
    std::function<void(const std::string&)> status;
    // Every alive_interval_seconds while the loop turns (0: never): a loop that is wedged
    // stops calling it, which is what a watchdog watches.
    std::function<void()> alive;
    double alive_interval_seconds = 0;
};

struct worker_options {
    // The broker's ROUTER endpoint.
    std::string broker = "tcp://127.0.0.1:5555";
    // Shown in logs, inspect output and error triples; default worker-<pid>@<hostname>.
    std::string name;
    // The queues it takes tasks from (Celery's -Q); empty: {"default"}. A task submitted to a
    // queue no worker consumes waits at the broker until one does.
    std::vector<std::string> queues;
    // Threads of the thread pool (started only if a task runs on it); default: CPU count.
    std::optional<std::uint32_t> threads;
    // Children of the process pool (started only if a task runs in it); default: CPU count.
    std::optional<std::uint32_t> processes;
    // Slots: how many tasks run at once, whatever their place; default threads + processes.
    std::optional<std::uint32_t> concurrency;
    // Tasks held beyond the slots, waiting locally so a slot never idles for a round trip;
    // default: 4 per slot (Celery's prefetch multiplier). 0: hold only what runs (best for
    // long tasks, which then go to whichever worker is free).
    std::optional<std::uint32_t> prefetch;
    // How long a drain (SIGTERM, SIGINT or stop()) may take before the worker leaves anyway.
    double grace_seconds = 30.0;
    // run() turns SIGTERM and SIGINT into a drain (and a second one into an immediate exit).
    // Off for workers embedded in programs that handle signals themselves.
    bool handle_signals = true;
    // Heartbeat interval and liveness used until the broker's WELCOME says otherwise.
    std::uint32_t heartbeat_ms = 1000;
    std::uint32_t liveness = 3;
    // A loop blocked this long (a loop task computing or calling something blocking instead
    // of awaiting) is logged once per block, naming the task and how long it blocked (the
    // heartbeats go on from their own thread meanwhile). 0 turns the watch off.
    double slow_loop_seconds = 0.5;
    // CURVE (SECURITY.md): the broker's public key file and this worker's secret key file (a
    // key in the broker's workers/ folder), both or neither. Its subtasks' client uses them too.
    std::string broker_key_file;
    std::string key_file;
    worker_hooks hooks{};
    // HOST:PORT of an HTTP listener with /healthz (the loop turns) and /readyz (a session
    // with the broker, and not draining); empty: none (worker/README.md, "Health").
    std::string http{};
    // Task lines (received, succeeded in T, failed: error) logged at info, at most this many
    // per second; the lines left out are counted in the next one. 0: none.
    std::uint32_t task_log_rate = 20;
};

// The options with every default filled in and checked.
struct resolved_worker_options {
    std::string broker;
    std::string name;
    std::vector<std::string> queues;  // never empty, no duplicates, in the order given
    std::uint32_t threads = 1;
    std::uint32_t processes = 1;
    std::uint32_t slots = 1;
    std::uint32_t prefetch = 1;
    double grace_seconds = 30.0;
    bool handle_signals = true;
    std::uint32_t heartbeat_ms = 1000;
    std::uint32_t liveness = 3;
    double slow_loop_seconds = 0.5;
    std::string broker_key_file;
    std::string key_file;
    worker_hooks hooks{};
    std::string http{};
    std::uint32_t task_log_rate = 20;
};

// Fills in the defaults. Throws std::invalid_argument for values that cannot work (zero
// slots, zero threads or processes given explicitly, a negative grace or slow-loop threshold,
// an empty endpoint, a queue name that is empty or longer than 255 bytes).
resolved_worker_options resolve(const worker_options& options);

// worker-<pid>@<hostname>, as Celery names its workers.
std::string default_worker_name();

// "gpu,default" as {"gpu", "default"} (--queues, SHOAL_QUEUES); an empty part is kept, for
// resolve() to refuse.
std::vector<std::string> split_queue_list(std::string_view text);

}  // namespace shoal
