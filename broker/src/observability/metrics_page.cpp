#include "metrics_page.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <sstream>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace shoal::broker {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// INSPECT stats fields that are levels, not counts since start.
constexpr std::array<std::string_view, 21> gauge_fields{"event_subscribers",
                                                        "peers",
                                                        "workers",
                                                        "clients",
                                                        "queued",
                                                        "held",
                                                        "active",
                                                        "dead",
                                                        "pending",
                                                        "results",
                                                        "tombstones",
                                                        "lanes",
                                                        "task_names",
                                                        "queue_names",
                                                        "queued_bytes",
                                                        "max_queued_bytes",
                                                        "result_bytes",
                                                        "max_result_bytes",
                                                        "window_bytes",
                                                        "unacked_bytes_max",
                                                        "results_unwritten"};

bool is_gauge(std::string_view field) {
    return std::find(gauge_fields.begin(), gauge_fields.end(), field) != gauge_fields.end();
}

const std::int64_t* int_of(const proto::report_row& row, std::string_view key) {
    for (const auto& f : row) {
        if (f.key == key) return std::get_if<std::int64_t>(&f.value);
    }
    return nullptr;
}

std::string text_of(const proto::report_row& row, std::string_view key) {
    for (const auto& f : row) {
        if (f.key == key) {
            if (const auto* s = std::get_if<std::string>(&f.value)) return *s;
        }
    }
    return {};
}

ClientMetric sample(double value, std::vector<ClientMetric::Label> labels = {}) {
    ClientMetric m;
    m.label = std::move(labels);
    m.counter.value = value;
    m.gauge.value = value;
    return m;
}

MetricFamily family(std::string name, std::string help, MetricType type) {
    return MetricFamily{std::move(name), std::move(help), type, {}};
}

ClientMetric histogram_sample(const duration_histogram& h,
                              std::vector<ClientMetric::Label> labels = {}) {
    ClientMetric m;
    m.label = std::move(labels);
    m.histogram.sample_count = h.count();
    m.histogram.sample_sum = h.sum();
    for (std::size_t i = 0; i < duration_histogram::bounds.size(); ++i) {
        m.histogram.bucket.push_back({h.cumulative(i), duration_histogram::bounds[i]});
    }
    m.histogram.bucket.push_back({h.count(), std::numeric_limits<double>::infinity()});
    return m;
}

void add_task_families(const task_name_counts& names, std::vector<MetricFamily>& out) {
    std::array<MetricFamily, task_event_count> by_event;
    for (std::size_t e = 0; e < task_event_count; ++e) {
        const std::string event(to_string(static_cast<task_event>(e)));
        by_event[e] = family("shoal_task_" + event + "_total",
                             "Tasks " + event + ", per task name, since the broker started",
                             MetricType::Counter);
    }
    // Sorted by name, so that a scrape reads the same from one time to the next.
    std::map<std::string, const task_name_counts::record*> sorted;
    names.for_each([&](const std::string& name, const task_name_counts::record& r) {
        sorted.emplace(name, &r);
    });
    auto runtime = family("shoal_task_runtime_seconds",
                          "How long tasks ran on their worker, per task name (the worker's count)",
                          MetricType::Histogram);
    auto queue_wait = family("shoal_task_queue_wait_seconds",
                             "How long tasks waited in their queue before a worker got them, per "
                             "task name (each attempt)",
                             MetricType::Histogram);
    for (const auto& [name, r] : sorted) {
        for (std::size_t e = 0; e < task_event_count; ++e) {
            by_event[e].metric.push_back(
                sample(static_cast<double>(r->events[e]), {{"name", name}}));
        }
        runtime.metric.push_back(histogram_sample(r->runtime, {{"name", name}}));
        queue_wait.metric.push_back(histogram_sample(r->queue_wait, {{"name", name}}));
    }
    for (auto& f : by_event) out.push_back(std::move(f));
    out.push_back(std::move(runtime));
    out.push_back(std::move(queue_wait));
}

void add_queue_families(const proto::report& queues, std::vector<MetricFamily>& out) {
    auto length = family("shoal_queue_length", "Tasks waiting in the queue", MetricType::Gauge);
    auto consumers =
        family("shoal_queue_consumers", "Workers consuming the queue", MetricType::Gauge);
    auto oldest =
        family("shoal_queue_oldest_age_seconds",
               "How long the longest-waiting task next in line has waited", MetricType::Gauge);
    for (const auto& row : queues.rows) {
        const std::string queue = text_of(row, "name");
        if (const auto* n = int_of(row, "length"))
            length.metric.push_back(sample(static_cast<double>(*n), {{"queue", queue}}));
        if (const auto* n = int_of(row, "consumers"))
            consumers.metric.push_back(sample(static_cast<double>(*n), {{"queue", queue}}));
        if (const auto* n = int_of(row, "oldest_age_ms"))
            oldest.metric.push_back(sample(static_cast<double>(*n) / 1000.0, {{"queue", queue}}));
    }
    out.push_back(std::move(length));
    out.push_back(std::move(consumers));
    out.push_back(std::move(oldest));
}

void add_worker_families(const proto::report& workers, std::vector<MetricFamily>& out) {
    auto total = family("shoal_workers_up", "Workers with a session", MetricType::Gauge);
    total.metric.push_back(sample(static_cast<double>(workers.rows.size())));
    auto up = family("shoal_worker_up", "1 for each worker with a session", MetricType::Gauge);
    auto info = family("shoal_worker_info", "The worker's software version", MetricType::Gauge);
    auto slots = family("shoal_worker_slots", "Tasks the worker runs at once", MetricType::Gauge);
    auto active = family("shoal_worker_tasks_active", "Tasks the worker holds", MetricType::Gauge);
    auto processed = family("shoal_worker_tasks_processed_total",
                            "Results the worker reported that counted", MetricType::Counter);
    auto heard = family("shoal_worker_last_heard_seconds",
                        "Seconds since the worker's last message", MetricType::Gauge);
    for (const auto& row : workers.rows) {
        const std::string name = text_of(row, "name");
        up.metric.push_back(sample(1, {{"worker", name}}));
        info.metric.push_back(sample(1, {{"worker", name}, {"version", text_of(row, "version")}}));
        if (const auto* n = int_of(row, "slots"))
            slots.metric.push_back(sample(static_cast<double>(*n), {{"worker", name}}));
        if (const auto* n = int_of(row, "held"))
            active.metric.push_back(sample(static_cast<double>(*n), {{"worker", name}}));
        if (const auto* n = int_of(row, "done"))
            processed.metric.push_back(sample(static_cast<double>(*n), {{"worker", name}}));
        if (const auto* n = int_of(row, "last_heard_ms"))
            heard.metric.push_back(sample(static_cast<double>(*n) / 1000.0, {{"worker", name}}));
    }
    for (auto* f : {&total, &up, &info, &slots, &active, &processed, &heard})
        out.push_back(std::move(*f));
}

void add_broker_families(const proto::report& stats, const duration_histogram* redis_latency,
                         std::vector<MetricFamily>& out) {
    if (stats.rows.empty()) return;
    const auto& row = stats.rows.front();
    for (const auto& f : row) {
        const auto* n = std::get_if<std::int64_t>(&f.value);
        if (n == nullptr) continue;
        const bool gauge = is_gauge(f.key);
        auto m = family(gauge ? "shoal_broker_" + f.key : "shoal_broker_" + f.key + "_total",
                        "INSPECT stats: " + f.key, gauge ? MetricType::Gauge : MetricType::Counter);
        m.metric.push_back(sample(static_cast<double>(*n)));
        out.push_back(std::move(m));
    }
    const std::string redis = text_of(row, "redis");
    if (!redis.empty() && redis != "off") {
        auto up =
            family("shoal_redis_up", "1 when the broker's Redis link is up", MetricType::Gauge);
        up.metric.push_back(sample(redis == "up" ? 1 : 0));
        out.push_back(std::move(up));
        if (redis_latency != nullptr) {
            auto latency = family("shoal_redis_latency_seconds",
                                  "Round trips of the broker's Redis writes (each write of a "
                                  "pass's submits, from sent to answered)",
                                  MetricType::Histogram);
            latency.metric.push_back(histogram_sample(*redis_latency));
            out.push_back(std::move(latency));
        }
    }
}

}  // namespace

std::string render_metrics(const metrics_sources& from) {
    std::vector<MetricFamily> families;
    add_task_families(from.names, families);
    add_queue_families(from.queues, families);
    add_worker_families(from.workers, families);
    add_broker_families(from.stats, from.redis_latency, families);
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
}

}  // namespace shoal::broker
