// shoal retry ID: runs a dead-lettered task again (REQUEUE). The broker's answer is not
// matched by the client library, so an INSPECT dead follows on the same connection: the
// broker answers in order, so its report shows whether the task left the dead letters.

#include <iostream>

#include "commands.hpp"
#include "output.hpp"

namespace shoal::cli {

int run_retry(const global_options& opts, const std::string& id_text) {
    const auto id = parse_task_id(opts, id_text);
    if (!id) return exit_usage;
    auto c = connect(opts);
    if (!c) return exit_unreachable;
    bool was_dead = false;
    proto::report after;
    try {
        const proto::report before = c->inspect("dead").result(opts.timeout_s);
        for (const auto& row : before.rows) {
            for (const auto& f : row) {
                if (f.key == "task" && std::get_if<std::string>(&f.value) != nullptr &&
                    std::get<std::string>(f.value) == id->to_hex()) {
                    was_dead = true;
                }
            }
        }
        c->requeue(*id);
        after = c->inspect("dead").result(opts.timeout_s);
    } catch (const timeout_error&) {
        report_error(opts, "broker " + opts.broker + " did not answer within the timeout");
        return exit_unreachable;
    }
    if (!was_dead) {
        report_error(opts,
                     "task " + id->to_hex() + " is not a dead letter (see: shoal inspect dead)");
        return exit_failed;
    }
    if (opts.json) {
        print_json(
            {{"id", id->to_hex()}, {"requeued", true}, {"dead_letters_left", after.rows.size()}});
    } else {
        std::cout << "requeued " << id->to_hex() << " (" << after.rows.size()
                  << " dead letters left)\n";
    }
    return exit_ok;
}

}  // namespace shoal::cli
