// soak_load: the client side of bench/soak/soak.sh, a long mixed load against one broker.
//
//   soak_load --broker EP --seconds N [--role main|slow] [--seed S]
//
// main: until the time is up, over and over:
//   - every 100 ms, a wave of 50..400 `blob` tasks whose results are 16 B to 16 KiB
//     (log-uniform; ~2,250 tasks and ~4.5 MiB of results a second), every result checked
//     against blob_text(bytes, seed) when it comes;
//   - FETCHes by id, from a second client, of results that came a moment ago;
//   - tasks revoked: `sleep` tasks held on a countdown and revoked before they run, and some
//     revoked while they run;
//   at most 20,000 tasks outstanding (it waits on the oldest past that).
// slow: submits 2,000 blobs of 1 KiB, waits for them, again and again; soak.sh stops it
//   (SIGSTOP) for seconds at a time, so that the broker's output window to it fills.
//
// A progress line every 10 s on stderr; one JSON line of totals on stdout at the end. Exit 0
// when every result came and was right, 1 otherwise. Every wait is bounded.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "shoal/client/client.hpp"
#include "shoal/client/errors.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct totals {
    long submitted = 0;
    long results = 0;
    long result_bytes = 0;
    long wrong = 0;
    long errors = 0;
    long revoked = 0;
    long revoke_ended_other = 0;
    long fetched = 0;
    long fetch_wrong = 0;
    long timeouts = 0;
};

struct pending_blob {
    shoal::remote_future<std::string> future;
    long bytes;
    long seed;
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(
        stderr,
        "soak_load: %s\nusage: soak_load --broker EP --seconds N [--role main|slow] [--seed S]\n",
        why.c_str());
    std::exit(2);
}

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

// Waits for the oldest blob, checks it, and remembers its id for the fetcher.
void collect(std::deque<pending_blob>& outstanding, totals& t,
             std::vector<std::pair<shoal::proto::task_id, pending_blob>>& recent) {
    pending_blob p = std::move(outstanding.front());
    outstanding.pop_front();
    try {
        const std::string v = p.future.get(120.0);
        ++t.results;
        t.result_bytes += static_cast<long>(v.size());
        if (v != shoal_examples::blob_text(p.bytes, p.seed)) ++t.wrong;
        if (recent.size() < 2000) recent.emplace_back(p.future.id(), p);
    } catch (const shoal::timeout_error&) {
        ++t.timeouts;
    } catch (const std::exception& e) {
        ++t.errors;
        if (t.errors <= 5)
            std::fprintf(stderr, "soak_load: task %s: %s\n", p.future.id().to_hex().c_str(),
                         e.what());
    }
}

int run_main(const std::string& broker, double seconds, unsigned seed) {
    shoal::client_options o;
    o.name = "soak-main";
    shoal::client client(broker, o);
    shoal::client_options fo;
    fo.name = "soak-fetcher";
    shoal::client fetcher(broker, fo);
    if (!client.wait_connected(20.0) || !fetcher.wait_connected(20.0)) {
        std::fprintf(stderr, "soak_load: cannot connect to %s\n", broker.c_str());
        return 1;
    }
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> log_size(std::log(16.0), std::log(16384.0));
    std::uniform_int_distribution<long> wave_size(50, 400);
    totals t;
    std::deque<pending_blob> outstanding;
    std::vector<std::pair<shoal::proto::task_id, pending_blob>> recent;
    long next_seed = static_cast<long>(seed) << 32;
    const auto began = clock_type::now();
    auto last_progress = began;
    long round = 0;
    while (seconds_since(began) < seconds) {
        ++round;
        std::this_thread::sleep_until(began + std::chrono::milliseconds(100 * round));
        // A wave of blobs of mixed sizes.
        const long n = wave_size(rng);
        std::vector<std::tuple<long, long>> items;
        items.reserve(static_cast<std::size_t>(n));
        for (long i = 0; i < n; ++i) {
            items.emplace_back(static_cast<long>(std::exp(log_size(rng))), next_seed++);
        }
        auto futures = client.submit_many(shoal_examples::blob, items);
        for (std::size_t i = 0; i < futures.size(); ++i) {
            outstanding.push_back(
                {std::move(futures[i]), std::get<0>(items[i]), std::get<1>(items[i])});
        }
        t.submitted += n;
        // Revokes: every 5th round, 50 held on a countdown and 10 running, all revoked.
        if (round % 5 == 0) {
            std::vector<shoal::remote_future<double>> doomed;
            for (int i = 0; i < 50; ++i) {
                doomed.push_back(client.submit({.countdown = std::chrono::milliseconds(3000)},
                                               shoal_examples::sleep, 1.0));
            }
            for (int i = 0; i < 10; ++i)
                doomed.push_back(client.submit(shoal_examples::sleep, 2.0));
            t.submitted += static_cast<long>(doomed.size());
            (void)client.flush(30.0);
            for (auto& f : doomed) client.revoke(f.id());
            for (auto& f : doomed) {
                try {
                    (void)f.get(30.0);
                    ++t.revoke_ended_other;  // it ran before the revoke reached it: allowed
                } catch (const shoal::timeout_error&) {
                    ++t.timeouts;
                } catch (const std::exception&) {
                    ++t.revoked;
                }
            }
        }
        // Collect down to the bound (and some every round, so that results flow).
        while (outstanding.size() > 20'000) collect(outstanding, t, recent);
        for (int i = 0; i < 5000 && !outstanding.empty() && outstanding.front().future.done();
             ++i) {
            collect(outstanding, t, recent);
        }
        // FETCHes by id from the second client, of results that came a moment ago.
        if (round % 3 == 0 && !recent.empty()) {
            std::vector<
                std::pair<shoal::concurrent::future<shoal::fetch_result>, const pending_blob*>>
                asks;
            for (std::size_t i = 0; i < recent.size(); i += 10) {
                asks.emplace_back(fetcher.fetch_state(recent[i].first), &recent[i].second);
            }
            for (auto& [ask, blob] : asks) {
                try {
                    const shoal::fetch_result r = ask.result(30.0);
                    ++t.fetched;
                    if (r.state != shoal::proto::result_state::done || !r.outcome) ++t.fetch_wrong;
                } catch (const std::exception&) {
                    ++t.fetch_wrong;
                }
            }
            recent.clear();
        }
        if (seconds_since(last_progress) >= 10.0) {
            last_progress = clock_type::now();
            std::fprintf(stderr,
                         "soak_load main: %.0f s: %ld submitted, %ld results (%ld MiB), %zu "
                         "outstanding, %ld revoked, "
                         "%ld fetched, %ld wrong, %ld errors, %ld timeouts\n",
                         seconds_since(began), t.submitted, t.results, t.result_bytes >> 20,
                         outstanding.size(), t.revoked, t.fetched, t.wrong + t.fetch_wrong,
                         t.errors, t.timeouts);
        }
    }
    while (!outstanding.empty()) collect(outstanding, t, recent);
    client.close();
    fetcher.close();
    std::printf(
        "{\"role\": \"main\", \"seconds\": %.1f, \"submitted\": %ld, \"results\": %ld, "
        "\"result_mib\": %ld, "
        "\"revoked\": %ld, \"ran_before_revoke\": %ld, \"fetched\": %ld, \"wrong\": %ld, "
        "\"fetch_wrong\": %ld, "
        "\"errors\": %ld, \"timeouts\": %ld}\n",
        seconds_since(began), t.submitted, t.results, t.result_bytes >> 20, t.revoked,
        t.revoke_ended_other, t.fetched, t.wrong, t.fetch_wrong, t.errors, t.timeouts);
    return t.wrong + t.fetch_wrong + t.errors + t.timeouts == 0 ? 0 : 1;
}

int run_slow(const std::string& broker, double seconds, unsigned seed) {
    shoal::client_options o;
    o.name = "soak-slow";
    shoal::client client(broker, o);
    if (!client.wait_connected(20.0)) {
        std::fprintf(stderr, "soak_load: cannot connect to %s\n", broker.c_str());
        return 1;
    }
    totals t;
    long next_seed = static_cast<long>(seed) << 32;
    const auto began = clock_type::now();
    long batches = 0;
    while (seconds_since(began) < seconds) {
        std::this_thread::sleep_until(began + std::chrono::seconds(4 * batches++));
        std::vector<std::tuple<long, long>> items;
        for (int i = 0; i < 2000; ++i) items.emplace_back(1024L, next_seed++);
        auto futures = client.submit_many(shoal_examples::blob, items);
        t.submitted += 2000;
        for (std::size_t i = 0; i < futures.size(); ++i) {
            try {
                const std::string v = futures[i].get(180.0);
                ++t.results;
                if (v != shoal_examples::blob_text(1024, std::get<1>(items[i]))) ++t.wrong;
            } catch (const shoal::timeout_error&) {
                ++t.timeouts;
            } catch (const std::exception&) {
                ++t.errors;
            }
        }
    }
    client.close();
    std::printf(
        "{\"role\": \"slow\", \"seconds\": %.1f, \"submitted\": %ld, \"results\": %ld, \"wrong\": "
        "%ld, "
        "\"errors\": %ld, \"timeouts\": %ld}\n",
        seconds_since(began), t.submitted, t.results, t.wrong, t.errors, t.timeouts);
    return t.wrong + t.errors + t.timeouts == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::string broker;
    double seconds = 60;
    std::string role = "main";
    unsigned seed = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--broker") {
            broker = value();
        } else if (arg == "--seconds") {
            seconds = std::stod(value());
        } else if (arg == "--role") {
            role = value();
        } else if (arg == "--seed") {
            seed = static_cast<unsigned>(std::stoul(value()));
        } else {
            usage("unknown argument " + arg);
        }
    }
    if (broker.empty()) usage("--broker is required");
    if (role == "main") return run_main(broker, seconds, seed);
    if (role == "slow") return run_slow(broker, seconds, seed);
    usage("unknown role " + role);
}
