#include "commands.hpp"

namespace shoal::cli {

std::optional<proto::task_id> parse_task_id(const global_options& opts, const std::string& text) {
    auto id = proto::task_id::from_hex(text);
    if (!id) report_error(opts, "'" + text + "' is not a task id (32 hex digits)");
    return id;
}

}  // namespace shoal::cli
