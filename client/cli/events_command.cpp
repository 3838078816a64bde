// shoal events [--dump] [--json] [--count N] [--duration S]: the broker's event stream
// (PROTOCOL.md 6.4), live. One line per event (with --json, one JSON object per line, JSON
// Lines); --dump prints every field of each event and stops after --duration (5 s unless
// given) or --count events: a one-shot capture. Stops on SIGINT/SIGTERM too.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <iostream>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "output.hpp"

namespace shoal::cli {

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_stop_signal(int) { interrupted.store(true); }

// "14:03:07.215", local time.
std::string clock_text(double unix_seconds) {
    const auto whole = static_cast<std::time_t>(unix_seconds);
    std::tm local{};
    localtime_r(&whole, &local);
    const int millis = static_cast<int>((unix_seconds - static_cast<double>(whole)) * 1000.0);
    return fmt::format("{:02}:{:02}:{:02}.{:03}", local.tm_hour, local.tm_min, local.tm_sec,
                       std::clamp(millis, 0, 999));
}

// The fields worth a glance, in a fixed order; --dump and --json show them all. The event is
// read once (as JSON), not once per field.
std::string event_line(const cluster_event& e) {
    const auto fields = nlohmann::json::parse(e.to_json(), nullptr, false);
    std::string line = fmt::format("{} {:<18}", clock_text(e.timestamp), e.type);
    if (!fields.is_object()) return line;
    auto add_text = [&](const char* key, std::string_view label = {}) {
        const auto it = fields.find(key);
        if (it == fields.end() || !it->is_string()) return;
        line += ' ';
        if (!label.empty()) line += fmt::format("{}=", label);
        line += it->get<std::string>();
    };
    auto add_number = [&](const char* key, std::string_view format) {
        const auto it = fields.find(key);
        if (it != fields.end() && it->is_number())
            line += fmt::format(fmt::runtime(format), it->get<double>());
    };
    auto add_payload = [&](const char* key, std::string_view label) {
        const auto it = fields.find(key);
        if (it != fields.end()) line += fmt::format(" {}={}", label, it->dump());
    };
    add_text("name");
    add_text("uuid");
    add_text("hostname");
    add_number("runtime", " runtime={:.6f}s");
    add_payload("result", "result");
    add_payload("args", "args");
    add_text("exception");
    add_text("reason", "reason");
    if (e.type.starts_with("worker-")) {
        add_number("active", " active={:.0f}");
        add_number("processed", " processed={:.0f}");
        add_number("load", " load={:.2f}");
    }
    return line;
}

}  // namespace

int run_events(const global_options& opts, const events_args& args) {
    auto c = connect(opts);
    if (!c) return exit_unreachable;
    std::mutex mutex;
    std::condition_variable wake;
    std::uint64_t seen = 0;
    std::uint64_t dropped_told = 0;
    const bool stop_on_count = args.count.has_value();
    const std::uint64_t wanted = args.count.value_or(0);
    bool enough = false;
    auto subscription = c->subscribe_events([&](const event_batch& batch) {
        std::lock_guard lock(mutex);
        if (batch.dropped > dropped_told) {
            std::cerr << "shoal events: the broker dropped " << batch.dropped - dropped_told
                      << " event(s) this subscriber did not read in time\n";
            dropped_told = batch.dropped;
        }
        for (const cluster_event& e : batch.events) {
            if (enough) break;
            if (opts.json) {
                std::cout << e.to_json() << '\n';
            } else if (args.dump) {
                std::cout << e.to_json(2) << '\n';
            } else {
                std::cout << event_line(e) << '\n';
            }
            ++seen;
            if (stop_on_count && seen >= wanted) enough = true;
        }
        std::cout.flush();
        if (enough) wake.notify_all();
    });
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    const std::optional<double> duration = args.duration_s ? args.duration_s
                                           : args.dump && !stop_on_count
                                               ? std::optional<double>(5.0)
                                               : std::nullopt;
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(duration.value_or(0)));
    // Waits in short steps: a signal cannot wake a condition variable.
    std::unique_lock lock(mutex);
    while (!enough && !interrupted.load()) {
        if (subscription.done()) break;  // refused, or the client closed
        if (duration && std::chrono::steady_clock::now() >= until) break;
        wake.wait_for(lock, std::chrono::milliseconds(100));
    }
    lock.unlock();
    c->unsubscribe_events();
    if (subscription.done()) subscription.result();  // a refusal throws (broker_error)
    return exit_ok;
}

}  // namespace shoal::cli
