// shoal-conformance-client: the conformance suite's client program on shoal::client
// (README.md, "The client programs" and "The scenarios"):
//
//   shoal-conformance-client --broker ENDPOINT --scratch DIR [--timeout SECONDS] SCENARIO
//
// It runs one scenario and prints one JSON object on stdout. A task's failure is data
// ({"status", "type", "message", "where"}); the program fails (exit 1, its message on
// stderr) only when it cannot run the scenario to its end: a bad command line, a wait past
// --timeout (one deadline for the whole scenario), the client closing under it.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "conformance_tasks.hpp"
#include "shoal/client/client.hpp"
#include "shoal/client/json_msgpack.hpp"

namespace {

using json = nlohmann::json;
using namespace shoal_conformance;

constexpr const char* program = "shoal-conformance-client";
constexpr const char* usage_text =
    "usage: shoal-conformance-client --broker ENDPOINT --scratch DIR [--timeout SECONDS] "
    "SCENARIO\n"
    "scenarios: submit gather as_completed error unknown retry revoke busy killed mixed\n";

// The program cannot run its scenario: exit 1 with this message.
class program_failure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct settings {
    std::string broker;
    std::string scratch;
    double timeout_s = 60;
    std::string scenario;
};

settings parse(int argc, char** argv) {
    settings s;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::optional<std::string> inline_value;
        if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            inline_value = arg.substr(eq + 1);
            arg.resize(eq);
        }
        auto value = [&]() -> std::string {
            if (inline_value) return *inline_value;
            if (i + 1 >= argc) throw program_failure(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage_text, stdout);
            std::exit(0);
        } else if (arg == "--broker") {
            s.broker = value();
        } else if (arg == "--scratch") {
            s.scratch = value();
        } else if (arg == "--timeout") {
            const std::string text = value();
            try {
                std::size_t used = 0;
                s.timeout_s = std::stod(text, &used);
                if (used != text.size()) throw std::invalid_argument(text);
            } catch (const std::exception&) {
                throw program_failure("--timeout takes a number of seconds, not '" + text + "'");
            }
            if (!(s.timeout_s > 0)) throw program_failure("--timeout must be positive");
        } else if (arg.rfind("--", 0) == 0) {
            throw program_failure("unknown option " + arg);
        } else if (s.scenario.empty()) {
            s.scenario = arg;
        } else {
            throw program_failure("one scenario only (got '" + s.scenario + "' and '" + arg + "')");
        }
    }
    if (s.broker.empty()) throw program_failure("--broker ENDPOINT is required");
    if (s.scenario.empty()) throw program_failure("which scenario? (none given)");
    return s;
}

// One deadline for the whole scenario: every wait gets what is left of --timeout.
class deadline {
  public:
    explicit deadline(double seconds)
        : seconds_(seconds),
          end_(std::chrono::steady_clock::now() +
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(seconds))) {}
    double left() const {
        const std::chrono::duration<double> d = end_ - std::chrono::steady_clock::now();
        return std::max(0.0, d.count());
    }
    bool passed() const { return std::chrono::steady_clock::now() >= end_; }
    [[noreturn]] void fail(const std::string& waiting_for) const {
        throw program_failure("timed out after " + json(seconds_).dump() + " s waiting for " +
                              waiting_for);
    }

  private:
    double seconds_;
    std::chrono::steady_clock::time_point end_;
};

json failure(const std::string& status, const std::string& type, const std::string& message,
             const std::string& where) {
    return json{{"status", status}, {"type", type}, {"message", message}, {"where", where}};
}

// A finished future's error as data. Errors that are no outcome of the task (a timeout, the
// client closing: client_closed_error) are the program's failure: they go through.
json failure_of(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const shoal::remote_task_error& e) {
        return failure("failed", e.type(), e.what(), e.where());
    } catch (const shoal::unknown_task_error& e) {
        return failure("unknown_task", e.code(), e.what(), e.where());
    } catch (const shoal::task_lost_error& e) {
        return failure("lost", e.code(), e.what(), e.where());
    } catch (const shoal::task_expired_error& e) {
        return failure("expired", e.code(), e.what(), e.where());
    } catch (const shoal::task_refused& e) {
        return failure("refused", e.code(), e.what(), e.where());
    } catch (const shoal::remote_error& e) {  // broker_error
        return failure("error", e.code(), e.what(), e.where());
    } catch (const shoal::time_limit_exceeded& e) {
        // The client folds the worker's name into the message (remote_state.cpp).
        return failure("failed", "shoal::time_limit_exceeded", e.what(), "");
    } catch (const shoal::cancelled_error& e) {
        // A revoked task's future: cancelled, locally at once, or by the broker's outcome.
        return failure("revoked", "revoked", e.what(), "client");
    } catch (const shoal::result_unknown_error& e) {
        return failure("result_unknown", "result_unknown", e.what(), "broker");
    } catch (const shoal::result_expired_error& e) {
        return failure("result_expired", "result_expired", e.what(), "broker");
    } catch (const shoal::task_error& e) {  // shoal::result_error: the result does not convert
        return failure("failed", e.type(), e.what(), "client");
    }
}

json json_of(long value) { return value; }
// Bytes are not JSON: their length stands for them (the busy scenario compares them itself).
json json_of(const std::vector<char>& value) { return json{{"bin_bytes", value.size()}}; }
json json_of(const shoal::raw_msgpack& value) {
    return json::parse(shoal::msgpack_to_json(value.bytes));
}

// A future's outcome, once it is done (waiting at most what the deadline leaves): the value
// through json_of as {"result": ...} when `wrap`, else bare; or the failure as data.
template <class T>
json outcome_of(const shoal::remote_future<T>& f, const deadline& until, const std::string& what,
                bool wrap = false) {
    if (!f.wait(until.left())) until.fail(what);
    if (f.cancelled()) return failure_of(std::make_exception_ptr(shoal::cancelled_error()));
    if (const std::exception_ptr error = f.exception(0.0)) return failure_of(error);
    json value;
    if constexpr (std::is_void_v<T>) {
        f.get(0.0);
    } else {
        value = json_of(f.get(0.0));
    }
    return wrap ? json{{"result", value}} : value;
}

// Waits until every future is done, or fails the program at the deadline.
template <class T>
void wait_all(const std::vector<shoal::remote_future<T>>& futures, const deadline& until,
              const std::string& what) {
    const auto waited = shoal::concurrent::wait(futures, until.left());
    if (!waited.not_done.empty()) {
        until.fail(std::to_string(waited.not_done.size()) + " of " +
                   std::to_string(futures.size()) + " " + what);
    }
}

template <class T>
json outcomes_of(const std::vector<shoal::remote_future<T>>& futures, const deadline& until,
                 const std::string& what) {
    wait_all(futures, until, what);
    json results = json::array();
    for (const auto& f : futures) results.push_back(outcome_of(f, until, what));
    return results;
}

shoal::client_options options() {
    shoal::client_options o;
    o.name = program;
    return o;
}

// ---- the scenarios ----

json run_submit(const settings& s, const deadline& until) {
    shoal::client client(s.broker, options());
    const auto f = client.submit(add, 2, 3);
    json out{{"result", outcome_of(f, until, "add(2, 3)")}};
    // The same task by id, through another client (another session with the broker).
    shoal::client second(s.broker, options());
    out["fetched"] = outcome_of(second.fetch<long>(f.id()), until, "the fetch of add(2, 3)");
    return out;
}

json run_gather(const settings& s, const deadline& until) {
    shoal::client client(s.broker, options());
    std::vector<std::tuple<long, long>> pairs;
    for (long i = 0; i < 100; ++i) pairs.emplace_back(i, i);
    const auto futures = client.submit_many(add, pairs);
    return json{{"results", outcomes_of(futures, until, "add(i, i) for i in 0..99")}};
}

json run_as_completed(const settings& s, const deadline& until) {
    shoal::client client(s.broker, options());
    std::vector<shoal::remote_future<long>> futures;
    for (const long ms : {300L, 200L, 100L, 0L}) futures.push_back(client.submit(sleep_ms, ms));
    json order = json::array();
    try {
        for (const auto& f : shoal::concurrent::as_completed(futures, until.left())) {
            order.push_back(outcome_of(f, until, "sleep_ms"));
        }
    } catch (const shoal::timeout_error&) {
        until.fail("sleep_ms(300, 200, 100, 0): " + std::to_string(order.size()) + " of 4 done");
    }
    return json{{"order", order}};
}

json run_error(const settings& s, const deadline& until) {
    shoal::client client(s.broker, options());
    return outcome_of(client.submit(fail, "boom"), until, "fail(\"boom\")", true);
}

json run_unknown(const settings& s, const deadline& until) {
    shoal::client client(s.broker, options());
    // No C++ declaration: the untyped path, by name, with an empty argument list.
    return outcome_of(client.submit_raw("no_such_task", shoal::json_to_msgpack("[]")), until,
                      "no_such_task()", true);
}

json run_retry(const settings& s, const deadline& until) {
    if (s.scratch.empty()) throw program_failure("retry needs --scratch DIR");
    // Absolute: the worker's working directory is not this program's.
    const std::filesystem::path path = std::filesystem::absolute(s.scratch) / "flaky";
    std::filesystem::remove(path);  // the line count starts from nothing
    shoal::client client(s.broker, options());
    shoal::submit_options retries;
    retries.max_retries = 3;
    const auto f = client.submit(retries, flaky, path.string(), 2);
    return outcome_of(f, until, "flaky(SCRATCH/flaky, 2)", true);
}

// The broker's outcome as data, as its FETCH tells it.
json json_of_outcome(const shoal::proto::outcome& o) {
    if (o.status == shoal::proto::task_status::ok) {
        return json{{"result", json::parse(shoal::msgpack_to_json(o.payload))}};
    }
    return failure(shoal::proto::to_string(o.status), o.error.type, o.error.message, o.error.where);
}

json run_revoke(const settings& s, const deadline& until) {
    shoal::client client(s.broker, options());
    shoal::submit_options parked;
    parked.queue = "parked";  // no worker consumes it: the task waits there
    const auto f = client.submit(parked, sleep_ms, 1);
    // The broker must hold the task before the revoke (a task it never saw is only dropped
    // from the client's outbox, and has no outcome to wait for).
    if (!client.flush(until.left())) until.fail("the broker to accept sleep_ms(1) on 'parked'");
    if (!f.cancel()) {
        // Refused or finished before the revoke: what it became.
        return outcome_of(f, until, "sleep_ms(1) on 'parked'", true);
    }
    // The future is cancelled at once (cancelled_error); the outcome is the broker's, asked
    // for until it has one.
    std::string last = "none";
    while (!until.passed()) {
        const shoal::fetch_result state = client.fetch_state(f.id()).result(until.left());
        if (state.state == shoal::proto::result_state::done && state.outcome) {
            return json_of_outcome(*state.outcome);
        }
        last = shoal::proto::to_string(state.state);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    until.fail("the revoked task's outcome (the broker last said: " + last + ")");
}

json run_busy(const settings& s, const deadline& until) {
    constexpr std::size_t count = 300;
    constexpr std::size_t bytes = 4096;
    std::vector<std::vector<char>> payloads(count, std::vector<char>(bytes));
    for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t j = 0; j < bytes; ++j) {
            payloads[i][j] = static_cast<char>((i * 131 + j * 7) & 0xff);
        }
    }
    shoal::client client(s.broker, options());
    // Past the broker's --max-queued-bytes it answers busy: the client sends those again
    // after its retry-after, by itself.
    const auto futures = client.submit_many(echo, payloads);
    wait_all(futures, until, "echo(4096 bytes)");
    std::size_t ok = 0;
    json first_failure;
    for (std::size_t i = 0; i < count; ++i) {
        const auto& f = futures[i];
        if (!f.cancelled() && !f.exception(0.0)) {
            if (f.get(0.0) == payloads[i]) {
                ++ok;
            } else if (first_failure.is_null()) {
                first_failure = json{{"index", i}, {"wrong_bytes", true}};
            }
        } else if (first_failure.is_null()) {
            first_failure = outcome_of(f, until, "echo");
        }
    }
    json out{{"count", count}, {"ok", ok}};
    if (!first_failure.is_null()) out["first_failure"] = first_failure;
    return out;
}

json run_killed(const settings& s, const deadline& until) {
    shoal::client client(s.broker, options());
    const std::vector<long> sleeps(4, 2000);
    const auto futures = client.submit_many(sleep_ms, sleeps);
    return json{{"results", outcomes_of(futures, until, "sleep_ms(2000)")}};
}

json run_mixed(const settings& s, const deadline& until) {
    shoal::client client(s.broker, options());
    // py_upper has no C++ declaration (the Python worker only): by name, untyped.
    const auto upper = client.submit_raw("py_upper", shoal::json_to_msgpack(R"(["shoal"])"));
    const auto negated = client.submit(cpp_negate, 7);
    return json{{"upper", outcome_of(upper, until, "py_upper(\"shoal\")")},
                {"negated", outcome_of(negated, until, "cpp_negate(7)")}};
}

json run(const settings& s) {
    const deadline until(s.timeout_s);
    if (s.scenario == "submit") return run_submit(s, until);
    if (s.scenario == "gather") return run_gather(s, until);
    if (s.scenario == "as_completed") return run_as_completed(s, until);
    if (s.scenario == "error") return run_error(s, until);
    if (s.scenario == "unknown") return run_unknown(s, until);
    if (s.scenario == "retry") return run_retry(s, until);
    if (s.scenario == "revoke") return run_revoke(s, until);
    if (s.scenario == "busy") return run_busy(s, until);
    if (s.scenario == "killed") return run_killed(s, until);
    if (s.scenario == "mixed") return run_mixed(s, until);
    throw program_failure("unknown scenario '" + s.scenario + "'\n" + usage_text);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        // stdout carries the one JSON object: the client library's log goes to stderr.
        spdlog::set_default_logger(spdlog::stderr_color_mt(program));
        spdlog::set_level(spdlog::level::warn);
        const settings s = parse(argc, argv);
        const json out = run(s);
        std::cout << out.dump() << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", program, e.what());
        return 1;
    }
}
