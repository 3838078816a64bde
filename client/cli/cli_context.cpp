#include "cli_context.hpp"

#include <iostream>

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace shoal::cli {

std::unique_ptr<client> connect(const global_options& opts, bool quiet) {
    client_options options;
    options.name = "shoal-cli-" + std::to_string(::getpid());
    auto c = std::make_unique<client>(opts.broker, options);
    if (!c->wait_connected(opts.timeout_s)) {
        if (quiet) return nullptr;
        report_error(opts, "broker " + opts.broker + " unreachable (no answer within " +
                               nlohmann::json(opts.timeout_s).dump() + " s)");
        return nullptr;
    }
    return c;
}

void report_error(const global_options& opts, const std::string& message) {
    if (opts.json) {
        std::cout << nlohmann::json{{"error", message}}.dump() << '\n';
    } else {
        std::cerr << "shoal: " << message << '\n';
    }
}

}  // namespace shoal::cli
