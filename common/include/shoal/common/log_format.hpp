#pragma once
// log_format: how the daemons (shoal-broker, shoal-worker) write their log lines, `--log-format
// text` (spdlog's lines, for people) or `--log-format json` (one JSON object per line, for
// machines: {"time", "level", "logger", "msg", and the line's fields}).
//
// A line can carry fields, e.g. a worker's task lines carry task_id, task and worker:
//
//   const shoal::log_fields fields{{"task_id", id}, {"task", name}, {"worker", me}};
//   spdlog::info("task {}[{}] received", name, id);
//
// In json they are keys of the line's object; text shows only the message (which says them).
// Fields hold for the lines logged on this thread while the log_fields lives.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace shoal {

enum class log_format { text, json };

// "text" or "json"; nullopt for anything else.
std::optional<log_format> log_format_from(std::string_view text) noexcept;
// Installs the format on spdlog's default logger (call at start, once the logger is chosen).
void use_log_format(log_format format);
// One JSON object of a log line (the json format's formatter, exposed for its tests).
std::string json_log_line(std::string_view time_iso8601, std::string_view level,
                          std::string_view logger, std::string_view message);

class log_fields {
  public:
    log_fields(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);
    ~log_fields();
    log_fields(const log_fields&) = delete;
    log_fields& operator=(const log_fields&) = delete;

  private:
    std::size_t previous_size_;
};

}  // namespace shoal
