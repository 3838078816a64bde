// shoal inspect workers|queues|active|dead|held|limits|stats: the broker's report, one row
// per line.

#include <iostream>

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
    if (opts.json) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& row : report.rows) rows.push_back(row_json(row));
        print_json({{"what", report.what}, {"rows", rows}});
    } else if (report.rows.empty()) {
        std::cout << "(no " << report.what << ")\n";
    } else {
        for (const auto& row : report.rows) std::cout << row_text(row) << '\n';
    }
    return exit_ok;
}

}  // namespace shoal::cli
