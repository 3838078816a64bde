// shoal purge QUEUE: drops every task waiting in the queue.

#include <iostream>

#include "commands.hpp"
#include "output.hpp"

namespace shoal::cli {

int run_purge(const global_options& opts, const std::string& queue) {
    auto c = connect(opts);
    if (!c) return exit_unreachable;
    std::uint64_t count = 0;
    try {
        count = c->purge(queue).result(opts.timeout_s);
    } catch (const timeout_error&) {
        report_error(opts, "broker " + opts.broker + " did not answer PURGE within the timeout");
        return exit_unreachable;
    }
    if (opts.json) {
        print_json({{"queue", queue}, {"purged", count}});
    } else {
        std::cout << "purged " << count << " task(s) from " << queue << '\n';
    }
    return exit_ok;
}

}  // namespace shoal::cli
