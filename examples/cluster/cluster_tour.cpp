// The cluster tour: what the README's main command shows. It talks to a running cluster (a
// broker and workers loading the seed tasks; deploy/local-cluster.sh starts one) and walks
// through the seeds' ideas, now across processes: submit, gather, as_completed, wait,
// done-callbacks, errors that keep their type, co_await from an event loop mixed with a local
// pool, a recursive fan-out of subtasks, map, workflows (futures as arguments, a chain, a
// word-count map-reduce as a chord), starmap and chunks, a periodic task run by the broker,
// and a batch of 10,000 tasks with a progress bar.
//
//   cluster_tour [--broker tcp://HOST:PORT] [--batch N]     (default: $SHOAL_BROKER)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "progress_bar.hpp"
#include "shoal/client/client.hpp"
#include "shoal/common/runtime.hpp"
#include "shoal_examples/seed_tasks.hpp"
#include "workflow_tour.hpp"

namespace {

using namespace shoal_examples;

void section(const char* title) { std::printf("\n== %s ==\n", title); }

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void show_submit(shoal::client& client) {
    section("submit: one task, one remote future");
    auto f = client.submit(add, 2, 3);
    const long five = f.get(30.0);
    std::printf("add(2, 3) = %ld   (task %s)\n", five, f.id().to_hex().c_str());
}

void show_gather(shoal::client& client) {
    section("gather: results in argument order");
    const std::vector<int> ns{2, 3, 4, 20, 30};
    std::vector<shoal::remote_future<std::string>> futures;
    for (int n : ns) futures.push_back(client.submit(factorial, n));
    const auto values = shoal::concurrent::gather(futures, 30.0);
    for (std::size_t i = 0; i < ns.size(); ++i) {
        std::printf("factorial(%d) = %s\n", ns[i], values[i].c_str());
    }
    // A CPU-bound task on the workers' process pools.
    auto counted = client.submit(count, 1);
    std::printf("count(1) on a process pool = %ld\n", counted.get(60.0));
}

void show_as_completed(shoal::client& client) {
    section("as_completed: results in completion order");
    std::vector<shoal::remote_future<double>> futures;
    for (double s : {0.3, 0.1, 0.2}) futures.push_back(client.submit(shoal_examples::sleep, s));
    for (auto f : shoal::concurrent::as_completed(futures, 30.0)) {
        std::printf("sleep(%.1f) finished\n", f.get());
    }
}

void show_wait(shoal::client& client) {
    section("wait: FIRST_COMPLETED, then ALL_COMPLETED");
    std::vector<shoal::remote_future<double>> futures{client.submit(shoal_examples::sleep, 0.05),
                                                      client.submit(shoal_examples::sleep, 0.5)};
    auto first = shoal::concurrent::wait(futures, 30.0, shoal::FIRST_COMPLETED);
    std::printf("first completed: %zu done, %zu pending\n", first.done.size(),
                first.not_done.size());
    auto all = shoal::concurrent::wait(futures, 30.0, shoal::ALL_COMPLETED);
    std::printf("all completed:   %zu done, %zu pending\n", all.done.size(), all.not_done.size());
}

void show_callbacks(shoal::client& client) {
    section("done-callbacks: each fires exactly once");
    std::mutex print_mutex;
    std::vector<shoal::remote_future<long>> futures;
    for (int n = 20; n <= 24; ++n) {
        auto f = client.submit(fib, n);
        f.add_done_callback([&print_mutex, n](shoal::remote_future<long> done) {
            std::lock_guard lock(print_mutex);
            std::printf("callback: fib(%d) = %ld\n", n, done.get());
        });
        futures.push_back(f);
    }
    shoal::concurrent::wait(futures, 30.0);
}

void show_errors(shoal::client& client) {
    section("errors keep their type, message and origin");
    try {
        client.submit(fail, std::string("the seeds say boom")).get(30.0);
    } catch (const shoal::remote_task_error& e) {
        std::printf("fail(...) raised %s: \"%s\" on %s\n", e.type().c_str(), e.what(),
                    e.where().c_str());
    }
    try {
        client.submit_raw("no_such_task", std::string("\x90", 1)).get(30.0);
    } catch (const shoal::unknown_task_error& e) {
        std::printf("no_such_task: %s\n", e.what());
    }
}

void show_co_await(shoal::client& client) {
    section("co_await: remote and local futures gathered in an event loop");
    shoal::event_loop loop;
    shoal::thread_pool_executor pool(2);
    const long total = loop.run_until_complete([&]() -> shoal::task<long> {
        auto remote = client.submit(add, 40, 2);
        auto local = pool.submit([] { return 100L; });
        auto [a, b] = co_await shoal::gather(shoal::wrap_future(remote, loop),
                                             shoal::wrap_future(local, loop));
        co_return a + b;
    }());
    std::printf("add(40, 2) on the cluster + 100 from a local thread = %ld\n", total);
    pool.shutdown();
    loop.close();
}

// fib_fanout(n) is a loop task that awaits gather(subtask(n - 1), subtask(n - 2)): a tree of
// 2 fib(n + 1) - 1 tasks, whose waiting parents give their slots back (any worker, even one
// with a single slot, runs it).
void show_fan_out(shoal::client& client) {
    section(
        "fan-out: loop tasks gather their own subtasks, without holding a slot while they wait");
    constexpr int n = 15;
    long tasks = 0;
    long previous = 0;
    long current = 1;  // fib(1); after the loop, fib(n + 1)
    for (int i = 1; i <= n; ++i) {
        const long next = previous + current;
        previous = current;
        current = next;
    }
    tasks = 2 * current - 1;
    const long value = client.submit(fib_fanout, n).get(60.0);
    std::printf("fib_fanout(%d) = %ld   (%ld tasks: co_await gather(subtask(n-1), subtask(n-2)))\n",
                n, value, tasks);
}

void show_map(shoal::client& client) {
    section("map: word counts of the seeds' lines, in order");
    const std::vector<std::string> lines{"the quick brown fox", "the lazy dog",
                                         "The fox and the dog"};
    const auto counts = client.map(word_count, lines, 30.0);
    std::map<std::string, int> total;
    for (const auto& c : counts) {
        for (const auto& [word, n] : c) total[word] += n;
    }
    for (const auto& [word, n] : total) std::printf("%s=%d ", word.c_str(), n);
    std::printf("\n");
}

int show_batch(shoal::client& client, std::size_t n) {
    section("a batch: tasks spread over every worker");
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::tuple<long, long>> args;
    args.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        args.emplace_back(static_cast<long>(i), static_cast<long>(i));
    std::atomic<std::size_t> finished{0};
    auto futures = client.submit_many(add, args);
    for (auto& f : futures) {
        f.add_done_callback(
            [&finished](const shoal::remote_future<long>&) { finished.fetch_add(1); });
    }
    shoal_examples::progress_bar bar("add(i, i)", n);
    const auto deadline = start + std::chrono::seconds(120);
    while (finished.load() < n && std::chrono::steady_clock::now() < deadline) {
        bar.update(finished.load());
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    bar.finish(finished.load());
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!futures[i].done() || futures[i].get(0.0) != 2 * static_cast<long>(i)) ++wrong;
    }
    const double took = seconds_since(start);
    std::printf("%zu tasks in %.2f s (%.0f tasks/s), %zu wrong or missing\n", n, took,
                static_cast<double>(n) / took, wrong);
    return wrong == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const char* env = std::getenv("SHOAL_BROKER");
    std::string endpoint = env != nullptr ? env : "tcp://127.0.0.1:5555";
    std::size_t batch = 10'000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--broker") == 0) {
            endpoint = argv[i + 1];
        } else if (std::strcmp(argv[i], "--batch") == 0) {
            batch = std::stoul(argv[i + 1]);
        } else {
            std::fprintf(stderr, "usage: cluster_tour [--broker ENDPOINT] [--batch N]\n");
            return 2;
        }
    }
    try {
        shoal::client client(endpoint);
        if (!client.wait_connected(10.0)) {
            std::fprintf(stderr, "cluster_tour: no broker answers at %s\n", endpoint.c_str());
            return 1;
        }
        std::printf("connected to %s\n", endpoint.c_str());
        show_submit(client);
        show_gather(client);
        show_as_completed(client);
        show_wait(client);
        show_callbacks(client);
        show_errors(client);
        show_co_await(client);
        show_fan_out(client);
        show_map(client);
        section("workflows: futures as arguments, a chain, a failure passed down");
        show_dataflow(client);
        section("workflows: a word-count map-reduce as a chord");
        show_word_count(client, sample_text(), 8);
        section("many small calls: starmap and chunks");
        show_many_calls(client);
        section("periodic tasks: the broker submits them on a schedule");
        show_periodic(client);
        const int status = show_batch(client, batch);
        std::printf("\n%s\n", status == 0 ? "tour complete" : "tour FAILED");
        return status;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cluster_tour: %s\n", e.what());
        return 1;
    }
}
