// log_format_from: a format's name, apart from the formatter (log_format.cpp), so that what
// only checks a setting (the config loaders, and their fuzz target) needs no spdlog.

#include "shoal/common/log_format.hpp"

namespace shoal {

std::optional<log_format> log_format_from(std::string_view text) noexcept {
    if (text == "text") return log_format::text;
    if (text == "json") return log_format::json;
    return std::nullopt;
}

}  // namespace shoal
