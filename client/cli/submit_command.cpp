// shoal submit TASK [ARGS...] [--queue Q] [--wait] [--wait-timeout S] [--priority N]
//                               [--countdown S] [--time-limit S] [--max-retries N] ...
// --wait waits for the result as long as the task takes (Celery's result.get() with no
// timeout), unless --wait-timeout says otherwise; --timeout only bounds reaching the broker.
// A chain or a group (workflow_line.hpp) is one submission; the options apply to each task,
// and what is printed is the last step's: its id (one per line for a group) or its result
// (a JSON array for a group).

#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "shoal/client/json_msgpack.hpp"
#include "workflow_line.hpp"

namespace shoal::cli {

namespace {

std::chrono::milliseconds millis(double seconds) {
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

submit_options options_from(const submit_args& args) {
    submit_options o;
    o.queue = args.queue;
    o.priority = args.priority;
    if (args.countdown_s) o.countdown = millis(*args.countdown_s);
    if (args.time_limit_s) o.time_limit = millis(*args.time_limit_s);
    if (args.soft_time_limit_s) o.soft_time_limit = millis(*args.soft_time_limit_s);
    if (args.expires_s) {
        o.expires = std::chrono::system_clock::now() +
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(
                        millis(*args.expires_s));
    }
    o.max_retries = args.max_retries;
    if (args.retry_delay_s) o.retry_delay = millis(*args.retry_delay_s);
    if (args.retry_backoff) o.retry_backoff = true;
    o.retry_on = args.retry_on;
    return o;
}

// Prints a failed future's error; returns the exit code.
int report_failure(const global_options& opts, const std::string& id,
                   const std::exception_ptr& error) {
    std::string type = "error";
    std::string message;
    std::string where;
    try {
        std::rethrow_exception(error);
    } catch (const remote_task_error& e) {
        type = e.type();
        message = e.what();
        where = e.where();
    } catch (const remote_error& e) {
        type = e.code();
        message = e.what();
        where = e.where();
    } catch (const cancelled_error&) {
        type = "revoked";
        message = "the task was revoked";
    } catch (const std::exception& e) {
        message = e.what();
    }
    if (opts.json) {
        print_json({{"id", id},
                    {"status", type == "revoked" ? "revoked" : "failed"},
                    {"error", {{"type", type}, {"message", message}, {"where", where}}}});
    } else if (type == "revoked") {
        std::cerr << "shoal: task " << id << " was revoked" << '\n';
    } else {
        std::cerr << "shoal: task " << id << " failed: " << type << ": " << message
                  << (where.empty() ? "" : " (on " + where + ")") << '\n';
    }
    return exit_failed;
}

// The arguments of one call of a workflow: after a step, a nil first, where the broker puts
// the step's result (or, after a group, the list of its results).
std::string payload_of(const cli_call& call, bool after_a_step) {
    if (!after_a_step) return json_args_to_msgpack(call.args);
    std::vector<std::string> values{"null"};
    values.insert(values.end(), call.args.begin(), call.args.end());
    return json_args_to_msgpack(values);
}

struct prepared_call {
    std::string task;
    std::string payload;
};

int print_ids(const global_options& opts, const std::vector<std::string>& ids,
              const std::vector<remote_future<raw_msgpack>>& last) {
    for (std::size_t i = 0; i < last.size(); ++i) {
        if (last[i].status() == remote_status::failed) {
            return report_failure(opts, ids[i], last[i].exception(0.0));
        }
    }
    if (opts.json) {
        if (ids.size() == 1) {
            print_json({{"id", ids[0]}, {"status", to_string(last[0].status())}});
        } else {
            print_json({{"ids", ids}});
        }
    } else {
        for (const std::string& id : ids) std::cout << id << '\n';
    }
    return exit_ok;
}

}  // namespace

int run_submit(const global_options& opts, const submit_args& args) {
    std::vector<std::vector<prepared_call>> stages;
    submit_options options;
    try {
        std::vector<std::string> words{args.task};
        words.insert(words.end(), args.args.begin(), args.args.end());
        for (const cli_stage& stage : parse_workflow(words)) {
            std::vector<prepared_call>& calls = stages.emplace_back();
            for (const cli_call& call : stage) {
                detail::check_task_name(call.task);
                calls.push_back({call.task, payload_of(call, stages.size() > 1)});
            }
        }
        options = options_from(args);
        (void)detail::to_wire(options);  // bad values are usage errors, before connecting
    } catch (const error& e) {
        report_error(opts, e.what());
        return exit_usage;
    }
    auto c = connect(opts);
    if (!c) return exit_unreachable;

    // Each step after the first takes the one before it: its result, or its group's list.
    std::vector<remote_future<raw_msgpack>> last;
    for (std::vector<prepared_call>& stage : stages) {
        std::vector<proto::task_input> inputs;
        if (!last.empty()) {
            proto::task_input in;
            in.index = 0;
            in.list = last.size() > 1;
            for (const auto& f : last) in.ids.push_back(f.id());
            inputs.push_back(std::move(in));
        }
        std::vector<remote_future<raw_msgpack>> now;
        now.reserve(stage.size());
        for (prepared_call& call : stage) {
            now.push_back(c->submit_raw(call.task, std::move(call.payload), options, inputs));
        }
        last = std::move(now);
    }
    std::vector<std::string> ids;
    ids.reserve(last.size());
    for (const auto& f : last) ids.push_back(f.id().to_hex());
    // Do not exit before the broker has the tasks (closing now could lose them), nor wait for
    // a result of a task the broker never took: --timeout bounds this, not the tasks.
    if (!c->flush(opts.timeout_s)) {
        report_error(opts, "broker " + opts.broker + " did not acknowledge task " + ids.front());
        return exit_unreachable;
    }
    if (!args.wait) return print_ids(opts, ids, last);
    const auto until = concurrent::detail::deadline_after(args.wait_timeout_s);
    for (std::size_t i = 0; i < last.size(); ++i) {
        if (!last[i].wait(concurrent::detail::seconds_until(until))) {
            const std::string status(to_string(last[i].status()));
            const std::string message = "task " + ids[i] + " still " + status + " after " +
                                        nlohmann::json(*args.wait_timeout_s).dump() +
                                        " s (--wait-timeout)";
            if (opts.json) {
                print_json({{"id", ids[i]}, {"status", status}, {"error", message}});
            } else {
                std::cerr << "shoal: " << message << '\n';
            }
            return exit_pending;
        }
        if (last[i].cancelled()) {
            return report_failure(opts, ids[i],
                                  std::make_exception_ptr(cancelled_error("revoked")));
        }
        if (auto e = last[i].exception(0.0)) return report_failure(opts, ids[i], e);
    }
    nlohmann::json results = nlohmann::json::array();
    for (const auto& f : last) results.push_back(payload_json(f.get(0.0).bytes));
    const nlohmann::json& shown = last.size() == 1 ? results[0] : results;
    if (opts.json) {
        if (last.size() == 1) {
            print_json({{"id", ids[0]}, {"status", "ok"}, {"result", shown}});
        } else {
            print_json({{"ids", ids}, {"status", "ok"}, {"result", shown}});
        }
    } else {
        std::cout << shown.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
    return exit_ok;
}

}  // namespace shoal::cli
