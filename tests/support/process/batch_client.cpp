// shoal-test-batch-client: a real client process for the fault tests. It submits a batch
// (batch_tasks.hpp says which tasks and their values) in chunks and writes, one line per
// event, to an outcome log that tests/support/process/outcome_checker.hpp reads:
//
//   accepted ID INDEX        the broker acknowledged task INDEX (written after flush()
//                            returns, before its result can be written)
//   refused ID INDEX CODE    the broker refused it
//   result ID VALUE          a done callback saw its value
//   error ID WHAT            a done callback saw an error
//   stored ID VALUE|STATE    with --check-stored: what a FETCH of the id answers at the end
//   end RESULTS              every accepted task ended (exit 0); `timeout` and exit 1 if not
//
// Each line is one write(2) on a file opened O_APPEND, so a test may read the log while the
// program runs and after a kill -9 (the kernel keeps what was written).
//
//   shoal-test-batch-client --broker EP --log FILE [--task add|sleep|blob] [--count N]
//       [--chunk N] [--sleep-ms MIN:MAX] [--blob-bytes N] [--timeout S] [--name NAME]
//       [--check-stored]
//       [--pause-ms N]      (between chunks, so a test can catch it mid-submission)
//       [--countdown-ms N]  (every task waits that long at the broker before it runs, so a
//                            test can stop the client before its results come)
//       [--ack-timeout S] [--result-check S]  (client_options: the repair of lost answers)

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <msgpack.hpp>

#include "process/batch_tasks.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using shoal::testing::batch::kind;

struct settings {
    std::string broker;
    std::string log;
    shoal::testing::batch::spec batch;
    std::size_t count = 1000;
    std::size_t chunk = 500;
    double timeout_s = 60;
    std::string name = "batch-client";
    bool check_stored = false;
    int pause_ms = 0;
    int countdown_ms = 0;
    double ack_timeout_s = 0;   // 0: client_options' default
    double result_check_s = 0;  // 0: client_options' default
};

int log_fd = -1;
std::mutex log_mutex;
// Done callbacks count here; global, since a callback may run after run() gave up (timeout).
std::atomic<std::size_t> ended{0};

void write_line(const std::string& line) {
    const std::string text = line + "\n";
    const std::lock_guard lock(log_mutex);
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(log_fd, text.data() + done, text.size() - done);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

std::string text_of(long v) { return std::to_string(v); }
std::string text_of(double v) { return shoal::testing::batch::format_double(v); }
std::string text_of(const std::string& v) { return shoal::testing::batch::blob_digest(v); }

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr, "shoal-test-batch-client: %s\n", why.c_str());
    std::exit(2);
}

settings parse(int argc, char** argv) {
    settings s;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--broker") {
            s.broker = value();
        } else if (arg == "--log") {
            s.log = value();
        } else if (arg == "--task") {
            const std::string t = value();
            if (t == "add") {
                s.batch.task = kind::add;
            } else if (t == "sleep") {
                s.batch.task = kind::sleep;
            } else if (t == "blob") {
                s.batch.task = kind::blob;
            } else {
                usage("unknown task " + t);
            }
        } else if (arg == "--count") {
            s.count = std::stoul(value());
        } else if (arg == "--chunk") {
            s.chunk = std::max<std::size_t>(1, std::stoul(value()));
        } else if (arg == "--sleep-ms") {
            const std::string v = value();
            const auto colon = v.find(':');
            if (colon == std::string::npos) usage("--sleep-ms takes MIN:MAX");
            s.batch.min_ms = std::stoi(v.substr(0, colon));
            s.batch.max_ms = std::stoi(v.substr(colon + 1));
            if (s.batch.min_ms < 0 || s.batch.max_ms < s.batch.min_ms)
                usage("--sleep-ms: bad range");
        } else if (arg == "--timeout") {
            s.timeout_s = std::stod(value());
        } else if (arg == "--name") {
            s.name = value();
        } else if (arg == "--check-stored") {
            s.check_stored = true;
        } else if (arg == "--pause-ms") {
            s.pause_ms = std::stoi(value());
        } else if (arg == "--countdown-ms") {
            s.countdown_ms = std::stoi(value());
        } else if (arg == "--blob-bytes") {
            s.batch.blob_bytes = std::stol(value());
        } else if (arg == "--ack-timeout") {
            s.ack_timeout_s = std::stod(value());
        } else if (arg == "--result-check") {
            s.result_check_s = std::stod(value());
        } else {
            usage("unknown argument " + arg);
        }
    }
    if (s.broker.empty() || s.log.empty()) usage("--broker and --log are required");
    return s;
}

template <class T>
T decode_payload(const std::string& payload) {
    const msgpack::object_handle h = msgpack::unpack(payload.data(), payload.size());
    return h.get().as<T>();
}

template <class T>
int run(
    const settings& s, shoal::client& client,
    const std::function<std::vector<shoal::remote_future<T>>(std::size_t, std::size_t)>& submit) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(s.timeout_s);
    auto left = [&] {
        return std::max(
            0.001,
            std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count());
    };
    std::vector<shoal::remote_future<T>> accepted;
    for (std::size_t first = 0; first < s.count; first += s.chunk) {
        const std::size_t n = std::min(s.chunk, s.count - first);
        std::vector<shoal::remote_future<T>> futures = submit(first, n);
        if (!client.flush(left())) {
            write_line("timeout flush");
            return 1;
        }
        for (std::size_t k = 0; k < futures.size(); ++k) {
            const auto& f = futures[k];
            const std::string id = f.id().to_hex();
            const std::size_t index = first + k;
            if (f.status() == shoal::remote_status::failed) {
                try {
                    std::rethrow_exception(f.as_concurrent().exception());
                } catch (const shoal::task_refused& e) {
                    write_line("refused " + id + " " + std::to_string(index) + " " + e.code());
                    continue;
                } catch (...) {
                    // Accepted, then failed: the callback below writes the error.
                }
            }
            write_line("accepted " + id + " " + std::to_string(index));
            accepted.push_back(f);
            f.add_done_callback([id](shoal::remote_future<T> done) {
                const shoal::concurrent::future<T>& c = done.as_concurrent();
                if (c.cancelled()) {
                    write_line("error " + id + " cancelled");
                } else if (std::exception_ptr e = c.exception()) {
                    try {
                        std::rethrow_exception(e);
                    } catch (const std::exception& ex) {
                        write_line("error " + id + " " + ex.what());
                    }
                } else {
                    write_line("result " + id + " " + text_of(c.result()));
                }
                ended.fetch_add(1);
            });
        }
        if (s.pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(s.pause_ms));
    }
    for (const auto& f : accepted) {
        if (!f.wait(left())) {
            write_line("timeout " + std::to_string(ended.load()) + " of " +
                       std::to_string(accepted.size()));
            return 1;
        }
    }
    // Callbacks run just after the futures complete: wait for the last line to be written.
    while (ended.load() < accepted.size() && left() > 0.01) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (s.check_stored) {
        std::vector<std::pair<std::string, shoal::concurrent::future<shoal::fetch_result>>> asks;
        asks.reserve(accepted.size());
        for (const auto& f : accepted)
            asks.emplace_back(f.id().to_hex(), client.fetch_state(f.id()));
        for (auto& [id, ask] : asks) {
            try {
                const shoal::fetch_result r = ask.result(left());
                if (r.state != shoal::proto::result_state::done || !r.outcome) {
                    write_line("stored " + id + " state-" +
                               std::to_string(static_cast<int>(r.state)));
                } else if (r.outcome->status != shoal::proto::task_status::ok) {
                    write_line("stored " + id + " status-" +
                               std::to_string(static_cast<int>(r.outcome->status)));
                } else {
                    write_line("stored " + id + " " +
                               text_of(decode_payload<T>(r.outcome->payload)));
                }
            } catch (const std::exception& e) {
                write_line("stored " + id + " fetch-failed");
            }
        }
    }
    write_line("end " + std::to_string(ended.load()));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const settings s = parse(argc, argv);
    log_fd = ::open(s.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) usage("cannot open " + s.log + ": " + std::strerror(errno));
    shoal::client_options options;
    options.name = s.name;
    if (s.ack_timeout_s > 0) options.ack_timeout_s = s.ack_timeout_s;
    if (s.result_check_s > 0) options.result_check_s = s.result_check_s;
    shoal::submit_options task_options;
    if (s.countdown_ms > 0) task_options.countdown = std::chrono::milliseconds(s.countdown_ms);
    shoal::client client(s.broker, options);
    if (!client.wait_connected(std::min(20.0, s.timeout_s))) {
        write_line("timeout connect");
        return 1;
    }
    int status = 0;
    if (s.batch.task == kind::add) {
        status = run<long>(s, client, [&](std::size_t first, std::size_t n) {
            std::vector<std::tuple<long, long>> items;
            for (std::size_t i = first; i < first + n; ++i)
                items.emplace_back(static_cast<long>(i), static_cast<long>(i));
            return client.submit_many(shoal_examples::add, items, task_options);
        });
    } else if (s.batch.task == kind::blob) {
        status = run<std::string>(s, client, [&](std::size_t first, std::size_t n) {
            std::vector<std::tuple<long, long>> items;
            for (std::size_t i = first; i < first + n; ++i)
                items.emplace_back(s.batch.blob_bytes, static_cast<long>(i));
            return client.submit_many(shoal_examples::blob, items, task_options);
        });
    } else {
        status = run<double>(s, client, [&](std::size_t first, std::size_t n) {
            std::vector<double> items;
            for (std::size_t i = first; i < first + n; ++i) {
                items.push_back(shoal::testing::batch::sleep_seconds(s.batch, i));
            }
            return client.submit_many(shoal_examples::sleep, items, task_options);
        });
    }
    client.close();
    ::close(log_fd);
    return status;
}
