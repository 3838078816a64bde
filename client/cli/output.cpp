#include "output.hpp"

#include <iostream>
#include <variant>

#include "shoal/client/json_msgpack.hpp"

namespace shoal::cli {

nlohmann::json payload_json(const std::string& msgpack_bytes) {
    try {
        return nlohmann::json::parse(msgpack_to_json(msgpack_bytes));
    } catch (const std::exception& e) {
        return nlohmann::json{{"$undecodable", e.what()}};
    }
}

nlohmann::json outcome_json(const proto::outcome& outcome) {
    nlohmann::json out{{"status", proto::to_string(outcome.status)}};
    if (outcome.status == proto::task_status::ok) {
        out["result"] = payload_json(outcome.payload);
    } else {
        out["error"] = {{"type", outcome.error.type},
                        {"message", outcome.error.message},
                        {"where", outcome.error.where}};
    }
    return out;
}

std::string outcome_text(const proto::outcome& outcome) {
    if (outcome.status == proto::task_status::ok) {
        return payload_json(outcome.payload)
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    std::string text = proto::to_string(outcome.status);
    // The broker's own outcomes name their type after their status ("revoked", "expired"):
    // said once, not "revoked: revoked: revoked by a client".
    if (!outcome.error.type.empty() && outcome.error.type != text)
        text += ": " + outcome.error.type;
    if (!outcome.error.message.empty()) text += ": " + outcome.error.message;
    if (!outcome.error.where.empty()) text += " (on " + outcome.error.where + ")";
    return text;
}

nlohmann::json row_json(const proto::report_row& row) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& field : row) {
        std::visit([&](const auto& v) { out[field.key] = v; }, field.value);
    }
    return out;
}

std::string row_text(const proto::report_row& row) {
    std::string text;
    for (const auto& field : row) {
        if (!text.empty()) text += ' ';
        text += field.key + '=';
        std::visit(
            [&](const auto& v) {
                if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) {
                    text += v;
                } else {
                    text += std::to_string(v);
                }
            },
            field.value);
    }
    return text;
}

void print_json(const nlohmann::json& document) {
    std::cout << document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

void print_rows(const global_options& opts, const char* key, const proto::report& report,
                const std::string& when_empty) {
    if (opts.json) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& row : report.rows) rows.push_back(row_json(row));
        print_json({{key, report.what}, {"rows", rows}});
    } else if (report.rows.empty()) {
        std::cout << when_empty << '\n';
    } else {
        for (const auto& row : report.rows) std::cout << row_text(row) << '\n';
    }
}

}  // namespace shoal::cli
