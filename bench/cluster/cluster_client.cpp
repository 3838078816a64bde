// The client side of the end-to-end benchmarks: bench/run (and bench/cluster/run.sh) starts
// the broker and workers, then runs this against them, once per figure:
//
//   cluster_client throughput N        N no-op tasks submitted as fast as the client takes
//                                      them, every result awaited; tasks/s
//   cluster_client latency N           N sequential round trips of add(1, 2); p50/p99/p999 and
//                                      every sample (us)
//   cluster_client fill N              N no-op tasks, waiting only for the broker's
//                                      acknowledgement (no worker needed): the memory figure
//   cluster_client cpu N [ROUNDS]      seed 002's count example: count(1..N) one at a time,
//                                      then all at once, each loop run ROUNDS times; the speedup
//   cluster_client c10k N SECONDS      N sleep(SECONDS) coroutine tasks at once; wall time
//   cluster_client inflight N PID      N sleep(60) tasks held by the worker with pid PID; its
//                                      resident memory before and once they all run
//   cluster_client metg WORKERS WALL   spin(d) batches for d from 100 ms down; each batch is
//                                      about WALL seconds of ideal work; efficiency per d
//   cluster_client dag N               a tree reduction of 1..N, every task's arguments the
//                                      futures of the level below (futures as arguments,
//                                      PROTOCOL.md 6.5), all submitted before any result;
//                                      the root checked against N(N+1)/2; tasks/s
//
// Output: one JSON object on stdout; exit 0 only if every result was right. The broker's
// endpoint comes from $SHOAL_BROKER.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>
#include <variant>
#include <vector>

#include "shoal/client/client.hpp"
#include "shoal/common/detail/hop_trace.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

// Failed or unfinished futures among `all`, waiting at most timeout_s for them.
template <class R>
std::size_t failures(const std::vector<shoal::remote_future<R>>& all, double timeout_s) {
    const auto waited = shoal::concurrent::wait(all, timeout_s);
    std::size_t failed = waited.not_done.size();
    for (const auto& f : waited.done) failed += f.exception(0.0) ? 1 : 0;
    return failed;
}

int throughput(shoal::client& client, std::size_t n) {
    // Warm up: connections, the worker's pools, the allocators.
    shoal::concurrent::wait(
        client.submit_many(shoal_examples::noop, std::vector<std::tuple<>>(2000)), 60.0);
    const auto start = clock_type::now();
    constexpr std::size_t chunk = 20'000;
    std::vector<shoal::remote_future<void>> all;
    all.reserve(n);
    for (std::size_t done = 0; done < n; done += chunk) {
        auto part = client.submit_many(shoal_examples::noop,
                                       std::vector<std::tuple<>>(std::min(chunk, n - done)));
        all.insert(all.end(), part.begin(), part.end());
    }
    const std::size_t failed = failures(all, 600.0);
    const double took = seconds_since(start);
    std::printf("{\"tasks\": %zu, \"seconds\": %.4f, \"tasks_per_s\": %.0f, \"failed\": %zu}\n", n,
                took, static_cast<double>(n) / took, failed);
    return failed == 0 ? 0 : 1;
}

int latency(shoal::client& client, std::size_t n) {
    constexpr std::size_t warm_up = 200;
    std::vector<double> us;
    us.reserve(n);
    for (std::size_t i = 0; i < n + warm_up; ++i) {
        const auto start = clock_type::now();
        auto sum = client.submit(shoal_examples::add, 1, 2);
        if (sum.get(30.0) != 3) return 1;
        shoal::hop_trace::record(shoal::hop_trace::hop::caller_result, sum.id().as_bytes());
        if (i >= warm_up) us.push_back(seconds_since(start) * 1e6);
    }
    std::string samples;
    for (const double u : us) {
        if (!samples.empty()) samples += ',';
        samples += std::to_string(u);
    }
    std::sort(us.begin(), us.end());
    const auto at = [&](double q) {
        return us[static_cast<std::size_t>(q * static_cast<double>(us.size() - 1))];
    };
    std::printf(
        "{\"round_trips\": %zu, \"p50_us\": %.2f, \"p99_us\": %.2f, \"p999_us\": %.2f, "
        "\"samples_us\": [%s]}\n",
        n, at(0.5), at(0.99), at(0.999), samples.c_str());
    return 0;
}

int fill(shoal::client& client, std::size_t n) {
    constexpr std::size_t chunk = 50'000;
    const auto start = clock_type::now();
    for (std::size_t done = 0; done < n; done += chunk) {
        // The futures are dropped at once: only the broker's side is measured.
        (void)client.submit_many(shoal_examples::noop,
                                 std::vector<std::tuple<>>(std::min(chunk, n - done)));
        if (!client.flush(120.0)) return 1;
    }
    std::printf("{\"queued\": %zu, \"seconds\": %.3f}\n", n, seconds_since(start));
    return 0;
}

// Seed 002: count(n) counts to 10,000,000 and returns that times n; ten of them, each the same
// work, first one after another, then all at once over the workers' process pools. `rounds`
// runs the loop that many times over per task (count_longer), so that a task takes about as
// long as Python's count does: C++ counts to 10^7 in milliseconds.
int cpu(shoal::client& client, long n, long rounds) {
    const auto expected = [](long i) { return 10'000'000L * i; };
    const auto submit = [&](long i) {
        return client.submit(shoal_examples::count_longer, i, rounds);
    };
    bool ok = submit(1).get(60.0) == expected(1);  // warm the pools
    const auto sequential_start = clock_type::now();
    for (long i = 1; i <= n; ++i) ok = ok && submit(i).get(600.0) == expected(i);
    const double sequential = seconds_since(sequential_start);
    const auto parallel_start = clock_type::now();
    std::vector<shoal::remote_future<long>> all;
    for (long i = 1; i <= n; ++i) all.push_back(submit(i));
    const auto results = shoal::concurrent::gather(all, 600.0);
    const double parallel = seconds_since(parallel_start);
    for (long i = 1; i <= n; ++i)
        ok = ok && results[static_cast<std::size_t>(i - 1)] == expected(i);
    std::printf(
        "{\"tasks\": %ld, \"rounds\": %ld, \"sequential_s\": %.4f, \"parallel_s\": %.4f, "
        "\"speedup\": %.3f, \"results_ok\": %s}\n",
        n, rounds, sequential, parallel, sequential / parallel, ok ? "true" : "false");
    return ok ? 0 : 1;
}

int c10k(shoal::client& client, std::size_t n, double seconds) {
    // Warm up with as many zero-second tasks: the workers' first coroutine frames and pages.
    auto warm_up = client.submit_many(shoal_examples::sleep, std::vector<double>(n, 0.0));
    (void)failures(warm_up, 60.0);
    const auto start = clock_type::now();
    auto all = client.submit_many(shoal_examples::sleep, std::vector<double>(n, seconds));
    const std::size_t failed = failures(all, 60.0 + 10 * seconds);
    const double took = seconds_since(start);
    std::printf("{\"tasks\": %zu, \"sleep_s\": %g, \"wall_s\": %.4f, \"failed\": %zu}\n", n,
                seconds, took, failed);
    return failed == 0 ? 0 : 1;
}

long rss_kib(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

long broker_stat(shoal::client& client, const std::string& key) {
    const auto rows = client.inspect("stats").result(10.0).rows;
    for (const auto& f : rows.empty() ? shoal::proto::report_row{} : rows.front()) {
        if (f.key != key) continue;
        if (const auto* v = std::get_if<std::int64_t>(&f.value)) return *v;
    }
    return -1;
}

int inflight(shoal::client& client, std::size_t n, int worker_pid) {
    (void)client.submit(shoal_examples::sleep, 0.0).get(30.0);
    const long before = rss_kib(worker_pid);
    // Dropped at once: the client keeps no future, so only the worker's side grows.
    (void)client.submit_many(shoal_examples::sleep, std::vector<double>(n, 60.0));
    if (!client.flush(60.0)) return 1;
    const auto start = clock_type::now();
    long active = 0;
    while (seconds_since(start) < 60.0 &&
           (active = broker_stat(client, "active")) < static_cast<long>(n)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const long after = rss_kib(worker_pid);
    std::printf(
        "{\"tasks\": %zu, \"active\": %ld, \"rss_before_kb\": %ld, \"rss_after_kb\": %ld}\n", n,
        active, before, after);
    return active == static_cast<long>(n) ? 0 : 1;
}

// Task Bench's METG: per task duration, how much of the workers' time went to the work.
int metg(shoal::client& client, int workers, double ideal_wall_s) {
    (void)client.submit(shoal_examples::spin, 0.0).get(30.0);
    std::string points;
    int below = 0;
    bool ok = true;
    // From 100 ms down by sqrt(10) a step to 1 us, as the peers' sweeps, until two points fall
    // below 50%.
    for (int step = 0; step <= 10 && below < 2; ++step) {
        const double d = 0.1 * std::pow(10.0, -0.5 * step);
        const auto k =
            static_cast<std::size_t>(std::clamp(ideal_wall_s * workers / d, 20.0, 200'000.0));
        const auto start = clock_type::now();
        auto all = client.submit_many(shoal_examples::spin, std::vector<double>(k, d));
        ok = ok && failures(all, 120.0) == 0;
        const double wall = seconds_since(start);
        const double efficiency = static_cast<double>(k) * d / (workers * wall);
        below += efficiency < 0.5 ? 1 : 0;
        char point[160];
        std::snprintf(
            point, sizeof point,
            "%s{\"task_s\": %.3g, \"tasks\": %zu, \"wall_s\": %.4f, \"efficiency\": %.4f}",
            points.empty() ? "" : ", ", d, k, wall, efficiency);
        points += point;
    }
    std::printf("{\"workers\": %d, \"points\": [%s], \"failed\": %s}\n", workers, points.c_str(),
                ok ? "false" : "true");
    return ok ? 0 : 1;
}

// The pairwise tree reduction of 1..n as one dataflow: level 0 is add(i, 0) for i in 1..n;
// each next level is add(f[2k], f[2k+1]) over the futures of the level below (an odd one out
// is carried up as it is, a future), until one future remains. Every level is submitted
// before any result is awaited: the broker holds each add until its two inputs are done and
// splices their results in. n leaves make n adds of level 0 and n - 1 pairwise adds.
struct tree_reduction {
    shoal::remote_future<long> root;
    std::size_t tasks = 0;
    std::size_t levels = 0;
};

tree_reduction submit_tree(shoal::client& client, std::size_t n) {
    tree_reduction tree;
    std::vector<shoal::remote_future<long>> level;
    level.reserve(n);
    for (std::size_t i = 1; i <= n; ++i)
        level.push_back(client.submit(shoal_examples::add, static_cast<long>(i), 0L));
    tree.tasks = n;
    while (level.size() > 1) {
        std::vector<shoal::remote_future<long>> next;
        next.reserve((level.size() + 1) / 2);
        for (std::size_t k = 0; k + 1 < level.size(); k += 2)
            next.push_back(client.submit(shoal_examples::add, level[k], level[k + 1]));
        if (level.size() % 2 == 1) next.push_back(level.back());
        tree.tasks += level.size() / 2;
        ++tree.levels;
        level = std::move(next);
    }
    tree.root = level.front();
    return tree;
}

int dag(shoal::client& client, std::size_t n) {
    const auto expected = [](std::size_t leaves) {
        return static_cast<long>(leaves) * static_cast<long>(leaves + 1) / 2;
    };
    // Warm up with a small tree (not counted): connections, the workers, the broker's maps.
    const std::size_t warm_leaves = std::min<std::size_t>(n, 1000);
    if (submit_tree(client, warm_leaves).root.get(120.0) != expected(warm_leaves)) {
        std::fprintf(stderr, "cluster_client dag: the warm-up tree's root is wrong\n");
        return 1;
    }
    const auto start = clock_type::now();
    const tree_reduction tree = submit_tree(client, n);
    const double submitted = seconds_since(start);
    long root = 0;
    std::string error;
    try {
        root = tree.root.get(400.0);
    } catch (const std::exception& e) {
        error = e.what();
    }
    const double took = seconds_since(start);
    const bool ok = error.empty() && root == expected(n);
    if (!error.empty())
        std::fprintf(stderr, "cluster_client dag: the root failed: %s\n", error.c_str());
    std::printf(
        "{\"leaves\": %zu, \"tasks\": %zu, \"levels\": %zu, \"submit_s\": %.4f, \"seconds\": %.4f, "
        "\"tasks_per_s\": %.0f, \"root\": %ld, \"expected\": %ld, \"root_ok\": %s}\n",
        n, tree.tasks, tree.levels, submitted, took, static_cast<double>(tree.tasks) / took, root,
        expected(n), ok ? "true" : "false");
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(
            stderr,
            "usage: cluster_client throughput|latency|fill N | cpu N [ROUNDS] | c10k N SECONDS | "
            "inflight N WORKER_PID | metg WORKERS WALL_S | dag LEAVES\n");
        return 2;
    }
    const std::string mode = argv[1];
    const char* endpoint = std::getenv("SHOAL_BROKER");
    shoal::client client(endpoint != nullptr ? endpoint : "tcp://127.0.0.1:5555");
    if (!client.wait_connected(20.0)) {
        std::fprintf(stderr, "cluster_client: no broker\n");
        return 1;
    }
    try {
        const std::size_t n = std::stoul(argv[2]);
        if (mode == "throughput") return throughput(client, n);
        if (mode == "latency") return latency(client, n);
        if (mode == "fill") return fill(client, n);
        if (mode == "cpu")
            return cpu(client, static_cast<long>(n), argc == 4 ? std::stol(argv[3]) : 1);
        if (mode == "c10k" && argc == 4) return c10k(client, n, std::stod(argv[3]));
        if (mode == "inflight" && argc == 4) return inflight(client, n, std::stoi(argv[3]));
        if (mode == "dag") return dag(client, n);
        if (mode == "metg" && argc == 4)
            return metg(client, static_cast<int>(n), std::stod(argv[3]));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cluster_client: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "cluster_client: unknown mode or arguments: %s\n", mode.c_str());
    return 2;
}
