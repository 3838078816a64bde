// shoal result ID [--wait [--wait-timeout S]]: the state of a task and, when done, its value
// or error. --wait asks again while the task is pending, with no limit unless --wait-timeout
// gives one; --timeout bounds each answer of the broker.

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "output.hpp"

namespace shoal::cli {

namespace {

int print_state(const global_options& opts, const fetch_result& r) {
    const std::string id = r.id.to_hex();
    const std::string state = proto::to_string(r.state);
    nlohmann::json doc{{"id", id}, {"state", state}};
    std::string text = state;
    int code = exit_ok;
    switch (r.state) {
        case proto::result_state::done:
            if (r.outcome) {
                doc.update(outcome_json(*r.outcome));
                text += ": " + outcome_text(*r.outcome);
                if (r.outcome->status != proto::task_status::ok) code = exit_failed;
            }
            break;
        case proto::result_state::unknown:
            text += ": the broker has no record of task " + id;
            code = exit_failed;
            break;
        case proto::result_state::expired:
            text += ": the result of task " + id + " expired";
            code = exit_failed;
            break;
        case proto::result_state::pending:
            break;
    }
    if (opts.json) {
        print_json(doc);
    } else {
        (code == exit_ok ? std::cout : std::cerr) << text << '\n';
    }
    return code;
}

}  // namespace

int run_result(const global_options& opts, const std::string& id_text,
               const result_wait_args& wait) {
    const auto id = parse_task_id(opts, id_text);
    if (!id) return exit_usage;
    auto c = connect(opts);
    if (!c) return exit_unreachable;

    const auto until = concurrent::detail::deadline_after(wait.timeout_s);  // none: no limit
    fetch_result last;
    // --wait asks again while pending; the broker answers each FETCH within --timeout.
    for (double pause = 0.05;; pause = std::min(pause * 2, 1.0)) {
        try {
            last = c->fetch_state(*id).result(opts.timeout_s);
        } catch (const timeout_error&) {
            report_error(opts, "broker " + opts.broker + " did not answer within the timeout");
            return exit_unreachable;
        }
        if (!wait.wait || last.state != proto::result_state::pending) break;
        const double left = concurrent::detail::seconds_until(until).value_or(pause);
        if (left <= 0) {
            const std::string message = "task " + last.id.to_hex() + " still pending after " +
                                        nlohmann::json(*wait.timeout_s).dump() +
                                        " s (--wait-timeout)";
            if (opts.json) {
                print_json({{"id", last.id.to_hex()}, {"state", "pending"}, {"error", message}});
            } else {
                std::cerr << "shoal: " << message << '\n';
            }
            return exit_pending;
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(std::min(pause, left)));
    }
    return print_state(opts, last);
}

}  // namespace shoal::cli
