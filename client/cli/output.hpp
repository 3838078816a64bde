#pragma once
// Turning what the broker says into the CLI's text and JSON output.

#include <string>

#include <nlohmann/json.hpp>

#include "cli_context.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::cli {

// A msgpack payload as a JSON value (or {"$undecodable": "..."} if it is not msgpack).
nlohmann::json payload_json(const std::string& msgpack_bytes);

// A task's outcome: {"status", "result"} or {"status", "error": {type, message, where}}.
nlohmann::json outcome_json(const proto::outcome& outcome);
// One line for people: the value as JSON, or "failed: type: message (raised on where)".
std::string outcome_text(const proto::outcome& outcome);

// A REPORT row as a JSON object, and as "key=value key=value".
nlohmann::json row_json(const proto::report_row& row);
std::string row_text(const proto::report_row& row);

// Prints a JSON document (compact) and a newline.
void print_json(const nlohmann::json& document);
// A REPORT's rows: with --json one document {key: report.what, "rows": [...]}, else one line
// per row (row_text), or `when_empty` alone.
void print_rows(const global_options& opts, const char* key, const proto::report& report,
                const std::string& when_empty);

}  // namespace shoal::cli
