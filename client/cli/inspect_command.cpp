// shoal inspect workers|queues|active|dead|held|scheduled|limits|stats: the broker's report,
// one row per line.

#include "commands.hpp"
#include "output.hpp"

namespace shoal::cli {

int run_inspect(const global_options& opts, const std::string& what) {
    auto c = connect(opts);
    if (!c) return exit_unreachable;
    proto::report report;
    try {
        report = c->inspect(what).result(opts.timeout_s);
    } catch (const timeout_error&) {
        report_error(opts, "broker " + opts.broker + " did not answer INSPECT within the timeout");
        return exit_unreachable;
    }
    print_rows(opts, "what", report, "(no " + report.what + ")");
    return exit_ok;
}

}  // namespace shoal::cli
