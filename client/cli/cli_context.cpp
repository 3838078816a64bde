#include "cli_context.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

namespace shoal::cli {

std::unique_ptr<client> connect(const global_options& opts, bool quiet) {
    client_options options;
    options.name = "shoal-cli-" + std::to_string(::getpid());
    options.broker_key_file = opts.broker_key;
    options.key_file = opts.key;
    auto c = std::make_unique<client>(opts.broker, options);
    if (!c->wait_connected(opts.timeout_s)) {
        if (quiet) return nullptr;
        // A broker that refuses a key looks, from here, exactly like one that is not there.
        const bool keyed = !opts.key.empty() || std::getenv("SHOAL_KEY") != nullptr;
        report_error(opts, "broker " + opts.broker + " unreachable (no answer within " +
                               nlohmann::json(opts.timeout_s).dump() + " s" +
                               (keyed ? "; or it does not know this key" : "") + ")");
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
