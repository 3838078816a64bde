// shoal revoke ID [--terminate]: asks the broker to revoke a task. REVOKE has no reply, so a
// FETCH follows on the same connection: its answer proves the REVOKE arrived (the broker
// answers in order) and shows the task's state.

#include <iostream>

#include "commands.hpp"
#include "output.hpp"

namespace shoal::cli {

int run_revoke(const global_options& opts, const std::string& id_text, bool terminate) {
    const auto id = parse_task_id(opts, id_text);
    if (!id) return exit_usage;
    auto c = connect(opts);
    if (!c) return exit_unreachable;
    c->revoke(*id, terminate);
    fetch_result state;
    try {
        state = c->fetch_state(*id).result(opts.timeout_s);
    } catch (const timeout_error&) {
        report_error(opts, "broker " + opts.broker + " did not answer within the timeout");
        return exit_unreachable;
    }
    if (opts.json) {
        print_json({{"id", id->to_hex()}, {"revoked", true}, {"state", proto::to_string(state.state)}});
    } else {
        std::cout << "revoked " << id->to_hex() << " (now " << proto::to_string(state.state) << ")\n";
    }
    return exit_ok;
}

}  // namespace shoal::cli
