// What the broker shows of itself beyond INSPECT: the HTTP listener's answers (/metrics,
// /healthz, /readyz) and the per-name task counts behind /metrics.

#include <algorithm>

#include "broker_core.hpp"
#include "observability/metrics_page.hpp"
#include "shoal/broker/broker_error.hpp"

namespace shoal::broker {

inspect_sources broker_core::inspect_view() {
    count_authentications();
    inspect_sources from{peers_, queues_, inflight_, store_, stats_, dead_, rates_};
    from.security = zap_ ? "curve" : "open";
    from.held = delayed_.size();
    from.delayed = &delayed_;
    from.waiting = &inputs_;
    from.wall_ms = wall_ms_();
    from.now = loop_.time();
    from.max_rows = config_.max_batch;
    from.redis_state = redis_state();
    if (durable_) from.results_unwritten = durable_->unwritten_results();
    from.budgets = {config_.max_queued_bytes, config_.max_result_bytes, config_.window_bytes};
    from.self.name = config_.ha_lease_ms > 0 ? ha_name() : std::string();
    from.self.endpoint = endpoint_;
    from.self.role = config_.ha_lease_ms == 0 ? "alone" : (standby_ ? "standby" : "active");
    from.self.lease_token = lease_token_;
    from.self.lease_ms = config_.ha_lease_ms;
    if (!standby_) {
        const std::uint64_t now = wall_ms_();
        const std::uint64_t recent_ms = presence_lease_times * config_.ha_lease_ms;
        for (const broker_presence& p : presence_) {
            // An active entry is this broker's, or an old active's that has not stood by since.
            if (p.role != "standby" || p.name == from.self.name) continue;
            const std::uint64_t ago = now > p.at_ms ? now - p.at_ms : 0;
            if (ago <= recent_ms) from.standbys.push_back({p.name, p.endpoint, ago});
        }
    }
    peers_.for_each([&](peer_ref, const peer& each) {
        from.unacked_bytes_max = std::max(from.unacked_bytes_max, each.unacked());
    });
    return from;
}

void broker_core::start_http() {
    if (config_.http.empty() || http_) return;
    http_ = std::make_unique<http_listener>(
        loop_, [this](std::string_view path) { return answer_http(path); },
        std::vector<std::string>{"/metrics", "/healthz", "/readyz"});
    try {
        http_endpoint_ = http_->start(config_.http);
    } catch (const http_error& e) {
        http_.reset();
        throw broker_error(e.what());
    }
}

http_answer broker_core::answer_http(std::string_view path) {
    if (path == "/healthz") return {200, "ok: the broker's loop is turning\n"};
    if (path == "/readyz") {
        if (port_ == nullptr) return {503, "not ready: not serving\n"};
        const std::string_view redis = redis_state();
        if (durable_ && redis != "up") {
            return {503, fmt::format("not ready: Redis is {}\n", redis)};
        }
        return {200, fmt::format("ready: serving {}\n", endpoint_)};
    }
    if (path == "/metrics") {
        const inspect_sources from = inspect_view();
        const auto stats = build_report("stats", from);
        const auto workers = build_report("workers", from);
        const auto queues = build_report("queues", from);
        return {200,
                render_metrics({*stats, *workers, *queues, name_counts_,
                                durable_ ? &redis_latency_ : nullptr}),
                "text/plain; version=0.0.4; charset=utf-8"};
    }
    return {404, "not found: /metrics, /healthz or /readyz\n"};
}

void broker_core::count_task(const task_entry& entry, task_event e) { count_lane(entry.lane, e); }

void broker_core::count_lane(lane_id lane, task_event e) {
    if (lane < queues_.lane_count()) name_counts_.count(queues_.at(lane).name, e);
}

}  // namespace shoal::broker
