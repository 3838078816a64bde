// shoal revoke ID [--terminate]: asks the broker to revoke a task. REVOKE has no reply, so a
// FETCH follows on the same connection: the client sends its messages in the order made and
// the broker answers in order, so the FETCH's answer shows what the REVOKE did.
//   exit 0: the task is revoked now (or was already);
//   exit 1: nothing to revoke: the broker has no record of the id, or the task had finished.

#include <iostream>

#include "commands.hpp"
#include "output.hpp"

namespace shoal::cli {

namespace {

bool is_revoked(const fetch_result& state) {
    return state.state == proto::result_state::done && state.outcome &&
           state.outcome->status == proto::task_status::revoked;
}

// Why the revoke did nothing, or "" when it did something.
std::string not_revoked_reason(const fetch_result& state, const std::string& id) {
    switch (state.state) {
        case proto::result_state::unknown:
            return "the broker has no record of task " + id + ": nothing to revoke";
        case proto::result_state::expired:
            return "task " + id + " already finished (its result expired): nothing to revoke";
        case proto::result_state::done:
            if (is_revoked(state)) return "";
            return "task " + id + " already finished (" +
                   (state.outcome ? proto::to_string(state.outcome->status) : "done") +
                   "): nothing to revoke";
        case proto::result_state::pending:
            return "";
    }
    return "";
}

}  // namespace

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
    const std::string hex = id->to_hex();
    if (const std::string reason = not_revoked_reason(state, hex); !reason.empty()) {
        if (opts.json) {
            nlohmann::json doc{{"id", hex},
                               {"revoked", false},
                               {"state", proto::to_string(state.state)},
                               {"error", reason}};
            if (state.outcome) doc["status"] = proto::to_string(state.outcome->status);
            print_json(doc);
        } else {
            std::cerr << "shoal: " << reason << '\n';
        }
        return exit_failed;
    }
    // Revoked, or (a task the broker still holds back) pending until it drops it.
    const std::string now = is_revoked(state) ? "revoked" : proto::to_string(state.state);
    if (opts.json) {
        print_json({{"id", hex},
                    {"revoked", true},
                    {"state", proto::to_string(state.state)},
                    {"status", now}});
    } else {
        std::cout << "revoked " << hex << " (now " << now << ")\n";
    }
    return exit_ok;
}

}  // namespace shoal::cli
