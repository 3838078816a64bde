#include "shoal/worker/worker_options.hpp"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "shoal/common/http_address.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal {
namespace {

// Celery's default prefetch multiplier: enough tasks in hand that a worker never idles for
// a round trip to the broker when its tasks are short (see worker/README.md).
constexpr std::uint32_t default_prefetch_per_slot = 4;

std::uint32_t cpu_count() noexcept {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1u : n;
}

std::uint32_t positive(std::optional<std::uint32_t> value, std::uint32_t fallback,
                       const char* what) {
    if (!value) return fallback;
    if (*value == 0) throw std::invalid_argument(std::string(what) + " must be at least 1");
    return *value;
}

}  // namespace

std::string default_worker_name() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
        return "worker-" + std::to_string(::getpid()) + "@localhost";
    }
    return "worker-" + std::to_string(::getpid()) + "@" + host;
}

std::vector<std::string> split_queue_list(std::string_view text) {
    std::vector<std::string> out;
    while (true) {
        const auto comma = text.find(',');
        out.emplace_back(text.substr(0, comma));
        if (comma == std::string_view::npos) return out;
        text.remove_prefix(comma + 1);
    }
}

resolved_worker_options resolve(const worker_options& options) {
    resolved_worker_options r;
    if (options.broker.empty()) throw std::invalid_argument("the broker endpoint is empty");
    r.broker = options.broker;
    if (options.broker_key_file.empty() != options.key_file.empty())
        throw std::invalid_argument("key and broker_key go together: both (CURVE) or neither");
    r.broker_key_file = options.broker_key_file;
    r.key_file = options.key_file;
    r.name = options.name.empty() ? default_worker_name() : options.name;
    for (const std::string& q : options.queues) {
        if (q.empty() || q.size() > proto::max_name_bytes) {
            throw std::invalid_argument("a queue name must be 1.." +
                                        std::to_string(proto::max_name_bytes) + " bytes (got '" +
                                        q + "')");
        }
        if (std::find(r.queues.begin(), r.queues.end(), q) == r.queues.end()) r.queues.push_back(q);
    }
    if (r.queues.empty()) r.queues.emplace_back(proto::default_queue);
    r.threads = positive(options.threads, cpu_count(), "threads");
    r.processes = positive(options.processes, cpu_count(), "processes");
    r.slots = positive(options.concurrency, r.threads + r.processes, "concurrency");
    r.prefetch = options.prefetch.value_or(default_prefetch_per_slot * r.slots);
    if (!(options.grace_seconds >= 0)) throw std::invalid_argument("the grace period must be >= 0");
    r.grace_seconds = options.grace_seconds;
    r.handle_signals = options.handle_signals;
    if (options.heartbeat_ms == 0 || options.liveness == 0) {
        throw std::invalid_argument("heartbeat_ms and liveness must be at least 1");
    }
    if (!(options.slow_loop_seconds >= 0))
        throw std::invalid_argument("the slow-loop threshold must be >= 0");
    r.slow_loop_seconds = options.slow_loop_seconds;
    r.heartbeat_ms = options.heartbeat_ms;
    r.liveness = options.liveness;
    if (!(options.hooks.alive_interval_seconds >= 0))
        throw std::invalid_argument("the alive interval must be >= 0");
    r.hooks = options.hooks;
    if (shoal::http_address where;
        !options.http.empty() && !parse_http_address(options.http, where))
        throw std::invalid_argument("http must be HOST:PORT (got '" + options.http + "')");
    r.http = options.http;
    r.task_log_rate = options.task_log_rate;
    return r;
}

}  // namespace shoal
