// shoal status: is the broker up, and does any worker answer? For health checks: exit 0 when
// at least one worker is registered, 1 when none is, 3 when the broker does not answer.

#include <iostream>

#include "commands.hpp"
#include "output.hpp"

namespace shoal::cli {

int run_status(const global_options& opts) {
    auto c = connect(opts, true);
    if (!c) {
        if (opts.json) {
            print_json({{"broker", opts.broker}, {"up", false}, {"workers", 0}});
        } else {
            std::cout << "broker " << opts.broker << ": unreachable\n";
        }
        return exit_unreachable;
    }
    proto::report report;
    try {
        report = c->inspect("workers").result(opts.timeout_s);
    } catch (const timeout_error&) {
        report_error(opts, "broker " + opts.broker + " did not answer INSPECT within the timeout");
        return exit_unreachable;
    }
    const auto workers = report.rows.size();
    if (opts.json) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& row : report.rows) rows.push_back(row_json(row));
        print_json({{"broker", opts.broker}, {"up", true}, {"workers", workers}, {"rows", rows}});
    } else {
        std::cout << "broker " << opts.broker << ": up, " << workers << " worker(s)\n";
        for (const auto& row : report.rows) std::cout << "  " << row_text(row) << '\n';
        if (workers == 0) std::cerr << "shoal: no worker answers\n";
    }
    return workers == 0 ? exit_failed : exit_ok;
}

}  // namespace shoal::cli
