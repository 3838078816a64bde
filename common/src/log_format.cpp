#include "shoal/common/log_format.hpp"

#include <chrono>
#include <ctime>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include "quoted_string.hpp"

namespace shoal {

namespace {

// The fields of the lines logged on this thread now (log_fields), as pairs in order.
thread_local std::vector<std::pair<std::string, std::string>> current_fields;

void append_json_string(std::string& out, std::string_view s) { out += detail::quoted_string(s); }

class json_formatter final : public spdlog::formatter {
  public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const auto since_epoch = msg.time.time_since_epoch();
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
        const auto millis =
            std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
        const std::time_t whole = seconds.count();
        std::tm utc{};
        gmtime_r(&whole, &utc);
        const std::string time =
            fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                        utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
        const auto level = spdlog::level::to_string_view(msg.level);
        const std::string line =
            json_log_line(time, std::string_view(level.data(), level.size()),
                          std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                          std::string_view(msg.payload.data(), msg.payload.size()));
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<json_formatter>();
    }
};

}  // namespace

void use_log_format(log_format format) {
    if (format == log_format::json) spdlog::set_formatter(std::make_unique<json_formatter>());
}

std::string json_log_line(std::string_view time_iso8601, std::string_view level,
                          std::string_view logger, std::string_view message) {
    std::string out = "{\"time\":";
    append_json_string(out, time_iso8601);
    out += ",\"level\":";
    append_json_string(out, level);
    if (!logger.empty()) {
        out += ",\"logger\":";
        append_json_string(out, logger);
    }
    out += ",\"msg\":";
    append_json_string(out, message);
    for (const auto& [key, value] : current_fields) {
        out += ',';
        append_json_string(out, key);
        out += ':';
        append_json_string(out, value);
    }
    out += "}\n";
    return out;
}

log_fields::log_fields(std::initializer_list<std::pair<std::string_view, std::string_view>> fields)
    : previous_size_(current_fields.size()) {
    for (const auto& [key, value] : fields) current_fields.emplace_back(key, value);
}

log_fields::~log_fields() { current_fields.resize(previous_size_); }

}  // namespace shoal
