#pragma once
// For the settings tests (shoal::layered_settings and the programs' loaders): an environment
// as a map, and the message of the config_error a call throws.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "shoal/common/layered_settings.hpp"

namespace shoal::testing {

// The environment as a map: tests never touch the real one.
inline env_lookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        const auto it = vars.find(std::string(name));
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

// The message of the config_error that fn throws ("" and a failure if none).
inline std::string config_error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const config_error& e) {
        return e.what();
    }
    ADD_FAILURE() << "no config_error";
    return {};
}

}  // namespace shoal::testing
