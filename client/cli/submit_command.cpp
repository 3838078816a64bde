// shoal submit TASK [ARGS...] [--queue Q] [--wait] [--wait-timeout S] [--priority N]
//                               [--countdown S] [--time-limit S] [--max-retries N] ...
// --wait waits for the result as long as the task takes (Celery's result.get() with no
// timeout), unless --wait-timeout says otherwise; --timeout only bounds reaching the broker.

#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "shoal/client/json_msgpack.hpp"

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

}  // namespace

int run_submit(const global_options& opts, const submit_args& args) {
    std::string payload;
    submit_options options;
    try {
        payload = json_args_to_msgpack(args.args);
        options = options_from(args);
        (void)detail::to_wire(options);  // bad values are usage errors, before connecting
        detail::check_task_name(args.task);
    } catch (const error& e) {
        report_error(opts, e.what());
        return exit_usage;
    }
    auto c = connect(opts);
    if (!c) return exit_unreachable;

    const auto f = c->submit_raw(args.task, std::move(payload), options);
    const std::string id = f.id().to_hex();
    // Do not exit before the broker has the task (closing now could lose it), nor wait for a
    // result of a task the broker never took: --timeout bounds this, not the task.
    if (!c->flush(opts.timeout_s)) {
        report_error(opts, "broker " + opts.broker + " did not acknowledge task " + id);
        return exit_unreachable;
    }
    if (!args.wait) {
        if (f.status() == remote_status::failed) return report_failure(opts, id, f.exception(0.0));
        if (opts.json) {
            print_json({{"id", id}, {"status", to_string(f.status())}});
        } else {
            std::cout << id << '\n';
        }
        return exit_ok;
    }
    if (!f.wait(args.wait_timeout_s)) {
        const std::string status(to_string(f.status()));
        const std::string message = "task " + id + " still " + status + " after " +
                                    nlohmann::json(*args.wait_timeout_s).dump() +
                                    " s (--wait-timeout)";
        if (opts.json) {
            print_json({{"id", id}, {"status", status}, {"error", message}});
        } else {
            std::cerr << "shoal: " << message << '\n';
        }
        return exit_pending;
    }
    if (f.cancelled())
        return report_failure(opts, id, std::make_exception_ptr(cancelled_error("revoked")));
    if (auto e = f.exception(0.0)) return report_failure(opts, id, e);
    const raw_msgpack value = f.get(0.0);
    if (opts.json) {
        print_json({{"id", id}, {"status", "ok"}, {"result", payload_json(value.bytes)}});
    } else {
        std::cout << payload_json(value.bytes)
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
    }
    return exit_ok;
}

}  // namespace shoal::cli
