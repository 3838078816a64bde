// The client side of the end-to-end benchmarks (bench/cluster/run.sh starts the broker and
// workers, then runs this against them):
//
//   cluster_client throughput N   submit N no-op tasks as fast as the client takes them, wait
//                                 for every result; prints tasks/s
//   cluster_client latency N      N sequential round trips of add(1, 2); prints p50/p99 (us)
//   cluster_client fill N         submit N no-op tasks and wait only for the broker's
//                                 acknowledgement (no worker needed); for the memory figure
//
// Output: one JSON object on stdout. The broker's endpoint comes from $SHOAL_BROKER.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

int throughput(shoal::client& client, std::size_t n) {
    // Warm up: connections, the worker's pools, the allocators.
    shoal::concurrent::wait(client.submit_many(shoal_examples::noop, std::vector<std::tuple<>>(2000)), 60.0);
    const auto start = clock_type::now();
    constexpr std::size_t chunk = 20'000;
    std::vector<shoal::remote_future<void>> all;
    all.reserve(n);
    for (std::size_t done = 0; done < n; done += chunk) {
        auto part = client.submit_many(shoal_examples::noop,
                                       std::vector<std::tuple<>>(std::min(chunk, n - done)));
        all.insert(all.end(), part.begin(), part.end());
    }
    const auto waited = shoal::concurrent::wait(all, 300.0);
    const double took = seconds_since(start);
    std::size_t failed = waited.not_done.size();
    for (const auto& f : waited.done) failed += f.exception(0.0) ? 1 : 0;
    std::printf("{\"tasks\": %zu, \"seconds\": %.3f, \"tasks_per_s\": %.0f, \"failed\": %zu}\n", n, took,
                static_cast<double>(n) / took, failed);
    return failed == 0 ? 0 : 1;
}

int latency(shoal::client& client, std::size_t n) {
    std::vector<double> us;
    us.reserve(n);
    for (std::size_t i = 0; i < n + 200; ++i) {
        const auto start = clock_type::now();
        if (client.submit(shoal_examples::add, 1, 2).get(30.0) != 3) return 1;
        if (i >= 200) us.push_back(seconds_since(start) * 1e6);
    }
    std::sort(us.begin(), us.end());
    const auto at = [&](double q) { return us[static_cast<std::size_t>(q * static_cast<double>(us.size() - 1))]; };
    std::printf("{\"round_trips\": %zu, \"p50_us\": %.2f, \"p99_us\": %.2f}\n", n, at(0.5), at(0.99));
    return 0;
}

int fill(shoal::client& client, std::size_t n) {
    constexpr std::size_t chunk = 50'000;
    const auto start = clock_type::now();
    for (std::size_t done = 0; done < n; done += chunk) {
        // The futures are dropped at once: only the broker's side is measured.
        (void)client.submit_many(shoal_examples::noop, std::vector<std::tuple<>>(std::min(chunk, n - done)));
        if (!client.flush(120.0)) return 1;
    }
    std::printf("{\"queued\": %zu, \"seconds\": %.3f}\n", n, seconds_since(start));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: cluster_client throughput|latency|fill N\n");
        return 2;
    }
    const std::string mode = argv[1];
    const std::size_t n = std::stoul(argv[2]);
    const char* endpoint = std::getenv("SHOAL_BROKER");
    shoal::client client(endpoint != nullptr ? endpoint : "tcp://127.0.0.1:5555");
    if (!client.wait_connected(20.0)) {
        std::fprintf(stderr, "cluster_client: no broker\n");
        return 1;
    }
    if (mode == "throughput") return throughput(client, n);
    if (mode == "latency") return latency(client, n);
    if (mode == "fill") return fill(client, n);
    std::fprintf(stderr, "cluster_client: unknown mode %s\n", mode.c_str());
    return 2;
}
