// shoal admin reload-keys: operations on the broker itself, for an admin key.

#include <iostream>

#include "commands.hpp"
#include "output.hpp"

namespace shoal::cli {

int run_admin(const global_options& opts, const std::string& action) {
    auto c = connect(opts);
    if (!c) return exit_unreachable;
    proto::report report;
    try {
        report = c->admin(action).result(opts.timeout_s);
    } catch (const timeout_error&) {
        report_error(opts, "broker " + opts.broker + " did not answer ADMIN within the timeout");
        return exit_unreachable;
    }
    if (opts.json) {
        print_json({{"action", report.what},
                    {"result", report.rows.empty() ? nlohmann::json::object()
                                                   : row_json(report.rows.front())}});
    } else {
        std::cout << report.what << ": ";
        std::cout << (report.rows.empty() ? std::string("done") : row_text(report.rows.front()))
                  << '\n';
    }
    return exit_ok;
}

}  // namespace shoal::cli
