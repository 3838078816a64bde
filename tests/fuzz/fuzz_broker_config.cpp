// libFuzzer target: the broker's config file (broker/include/shoal/broker/config_loader.hpp).
//
// Input: a TOML document, applied with apply_toml as `shoal-broker --config` would. An input
// that starts with "#env\n" is instead a list of NAME=value lines, applied with
// apply_environment (the SHOAL_* variables, read with the same checks as the file).
// config_error is the documented answer to a bad config. Anything else is a finding: another
// exception, a crash, a sanitizer report, or a value outside its documented range accepted.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "shoal/broker/config_loader.hpp"
#include "task_routes.hpp"

namespace {

using namespace shoal::broker;

[[noreturn]] void finding(const char* what) {
    std::fprintf(stderr, "fuzz_broker_config: %s\n", what);
    std::abort();
}

// The ranges README.md documents: a config that loads never holds anything else.
void check(const broker_config& c) {
    if (c.heartbeat_ms < 10 || c.heartbeat_ms > 3'600'000) finding("heartbeat_ms out of range");
    if (c.liveness < 1 || c.liveness > 1000) finding("liveness out of range");
    if (c.max_batch < 1 || c.max_batch > 10'000) finding("max_batch out of range");
    if (c.max_message_bytes < 4096 || c.max_message_bytes > (16u << 20)) {
        finding("max_message_bytes out of range");
    }
    if (c.bind.empty()) finding("empty bind endpoint");
    // A route table that loads (as text or as a [task_routes] table) is one the broker reads.
    try {
        (void)task_routes(c.task_routes);
    } catch (const config_error&) {
        finding("task_routes accepted by the loader but refused by the broker");
    }
}

std::map<std::string, std::string, std::less<>> env_lines(std::string_view text) {
    std::map<std::string, std::string, std::less<>> vars;
    while (!text.empty()) {
        const std::size_t eol = text.find('\n');
        const std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        vars[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    return vars;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    constexpr std::string_view env_marker = "#env\n";
    broker_config config;
    try {
        if (text.substr(0, env_marker.size()) == env_marker) {
            const auto vars = env_lines(text.substr(env_marker.size()));
            apply_environment(config, [&](std::string_view name) -> std::optional<std::string> {
                const auto it = vars.find(name);
                if (it == vars.end()) return std::nullopt;
                return it->second;
            });
        } else {
            apply_toml(config, text, "fuzz.toml");
        }
    } catch (const config_error&) {
        return 0;  // a bad config, refused as documented
    }
    check(config);
    return 0;
}
