#include "shoal/dashboard/json_api.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "shoal/client/errors.hpp"
#include "shoal/client/json_msgpack.hpp"

namespace shoal::dashboard {

namespace {

using json = nlohmann::json;

constexpr std::size_t preview_chars = 200;
constexpr std::size_t max_offset = 1'000'000'000;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

api_answer answer(int status, const json& body) { return {status, dump(body), "application/json"}; }

api_answer error_answer(int status, std::string_view code, const std::string& message) {
    return answer(status, json{{"error", message}, {"code", code}});
}

// A bad request: the parameter, what it was, what it must be.
struct bad_request {
    std::string message;
};

std::optional<std::string> param(const api_request& r, const std::string& key) {
    const auto it = r.params.find(key);
    if (it == r.params.end()) return std::nullopt;
    return it->second;
}

std::size_t count_param(const api_request& r, const std::string& key, std::size_t fallback,
                        std::size_t max) {
    const auto text = param(r, key);
    if (!text || text->empty()) return fallback;
    std::size_t value = 0;
    const char* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, value);
    if (ec != std::errc() || ptr != end || value > max) {
        throw bad_request{key + "=" + *text + ": must be a whole number from 0 to " +
                          std::to_string(max)};
    }
    return value;
}

bool flag_param(const api_request& r, const std::string& key) {
    const auto text = param(r, key);
    if (!text) return false;
    if (*text == "" || *text == "1" || *text == "true" || *text == "yes") return true;
    if (*text == "0" || *text == "false" || *text == "no") return false;
    throw bad_request{key + "=" + *text + ": must be 1 or 0 (true or false)"};
}

// A seconds value as JSON: null when unknown (0).
json when(double t) { return t > 0 ? json(t) : json(nullptr); }

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::string preview(const std::optional<std::string>& text) {
    if (!text) return {};
    if (text->size() <= preview_chars) return *text;
    return text->substr(0, preview_chars) + "…";
}

// JSON text kept by the history, as a value (a string when it is not JSON after all).
json embedded(const std::string& text) {
    json parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded()) return json(text);
    return parsed;
}

json row_json(const proto::report_row& row) {
    json out = json::object();
    for (const proto::report_field& f : row) {
        if (const auto* n = std::get_if<std::int64_t>(&f.value)) {
            out[f.key] = *n;
        } else {
            out[f.key] = std::get<std::string>(f.value);
        }
    }
    return out;
}

json snapshot_json(const inspect_snapshot& s) {
    json out{{"at", when(s.at)}};
    if (!s.error.empty()) {
        out["error"] = s.error;
        out["code"] = s.error_code;
    }
    json rows = json::array();
    if (s.report) {
        for (const proto::report_row& row : s.report->rows) rows.push_back(row_json(row));
    }
    out["rows"] = std::move(rows);
    return out;
}

json task_summary(const model_state& s, const task_record& r) {
    json out{
        {"id", r.id.to_hex()},
        {"name", s.strings.text(r.name)},
        {"state", to_string(r.state)},
        {"queue", s.strings.text(r.queue)},
        {"worker", s.strings.text(r.hostname)},
        {"sent", when(r.sent)},
        {"received", when(r.received)},
        {"started", when(r.started)},
        {"finished", when(r.finished)},
        {"runtime", optional_number(r.runtime)},
        {"attempts", r.attempts},
        {"retries", r.retries},
        {"args", preview(r.args)},
        {"result", preview(r.result)},
        {"exception", r.exception},
    };
    if (r.args_bytes) out["args_bytes"] = *r.args_bytes;
    if (r.result_bytes) out["result_bytes"] = *r.result_bytes;
    return out;
}

json task_detail(const model_state& s, const task_record& r) {
    json out = task_summary(s, r);
    out["args"] = r.args ? embedded(*r.args) : json(nullptr);
    out["result"] = r.result ? embedded(*r.result) : json(nullptr);
    out["has_result"] = r.result.has_value();
    out["exception_type"] = r.exception_type;
    out["traceback"] = r.traceback;
    out["reason"] = r.reason;
    out["client"] = r.client;
    out["deaths"] = r.deaths;
    out["terminated"] = r.terminated;
    out["lost"] = r.lost;
    out["finished_state"] = is_finished(r.state);
    out["priority"] = r.priority ? json(*r.priority) : json(nullptr);
    out["eta"] = optional_number(r.eta);
    out["countdown"] = optional_number(r.countdown);
    out["expires"] = optional_number(r.expires);
    out["events"] = r.events;
    json attempts = json::array();
    for (const attempt_record& a : r.attempt_log) {
        attempts.push_back({{"number", a.number},
                            {"worker", s.strings.text(a.hostname)},
                            {"received", when(a.received)},
                            {"started", when(a.started)},
                            {"ended", when(a.ended)},
                            {"outcome", a.outcome},
                            {"exception", a.exception}});
    }
    out["attempt_log"] = std::move(attempts);
    return out;
}

// The broker's refusal or silence as an answer.
api_answer broker_failure(std::exception_ptr error) {
    try {
        std::rethrow_exception(std::move(error));
    } catch (const broker_error& e) {
        return error_answer(e.code() == "forbidden" ? 403 : 502, e.code(), e.what());
    } catch (const remote_error& e) {
        return error_answer(502, e.code(), e.what());
    } catch (const client_closed_error& e) {
        return error_answer(503, "closed", e.what());
    } catch (const timeout_error& e) {
        return error_answer(504, "timeout", "the broker did not answer in time");
    } catch (const std::exception& e) {
        return error_answer(502, "failed", e.what());
    }
}

// Waits for the broker's answer: nullopt when it came and holds a value, else the answer
// that tells the browser why not.
template <class T>
std::optional<api_answer> wait_answer(const concurrent::future<T>& f, double timeout_s) {
    try {
        if (auto error = f.exception(timeout_s)) return broker_failure(error);
    } catch (const timeout_error&) {
        return error_answer(504, "timeout", "the broker did not answer in time");
    } catch (const std::exception& e) {  // cancelled: the client is closing
        return error_answer(503, "closed", e.what());
    }
    return std::nullopt;
}

// The path's segments after /api/: "/api/tasks/ID/result" -> {"tasks", "ID", "result"}.
std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < path.size()) {
        const std::size_t j = path.find('/', i);
        const std::size_t end = j == std::string_view::npos ? path.size() : j;
        if (end > i) out.push_back(path.substr(i, end - i));
        i = end + 1;
    }
    return out;
}

std::optional<proto::task_id> id_of(std::string_view text) {
    return proto::task_id::from_hex(text);
}

std::string id_text_param(const api_request& r) {
    const auto text = param(r, "q");
    if (!text) return {};
    std::string out;
    for (const char c : *text) {
        if (c == '-' || c == ' ') continue;
        const char lower = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
        if (!((lower >= '0' && lower <= '9') || (lower >= 'a' && lower <= 'f'))) {
            throw bad_request{"q=" + *text + ": a task id, or a part of one, is hex digits"};
        }
        out += lower;
    }
    if (out.size() > 32) throw bad_request{"q=" + *text + ": a task id has 32 hex digits"};
    return out;
}

}  // namespace

bool tokens_equal(std::string_view a, std::string_view b) noexcept {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
        const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
        diff = static_cast<unsigned char>(diff | (x ^ y));
    }
    return diff == 0;
}

json_api::json_api(cluster_model& model, control& broker, api_options options)
    : model_(model), broker_(broker), options_(std::move(options)) {}

double json_api::now() const {
    if (options_.now) return options_.now();
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

api_answer json_api::handle(const api_request& request) const {
    try {
        return route(request);
    } catch (const bad_request& e) {
        return error_answer(400, "bad_request", e.message);
    } catch (const std::exception& e) {
        return error_answer(500, "internal", e.what());
    }
}

api_answer json_api::route(const api_request& request) const {
    if (!request.path.starts_with("/api/")) return error_answer(404, "not_found", "no such path");
    const auto parts = segments(std::string_view(request.path).substr(5));
    const bool is_control = (parts.size() == 3 && parts[0] == "tasks" &&
                             (parts[2] == "revoke" || parts[2] == "terminate")) ||
                            (parts.size() == 3 && parts[0] == "dead" && parts[2] == "retry") ||
                            (parts.size() >= 3 && parts[0] == "queues" && parts.back() == "purge");
    if (is_control) return control_action(request);
    if (request.method != "GET" && request.method != "HEAD") {
        return error_answer(405, "method_not_allowed", "this path is read with GET");
    }
    const double t = now();
    if (parts.size() == 1 && parts[0] == "overview") {
        return model_.read([&](const model_state& s) {
            json states = json::object();
            for (std::size_t i = 0; i < task_state_count; ++i) {
                const auto st = static_cast<task_state>(i);
                states[std::string(to_string(st))] = s.tasks.count(st);
            }
            json broker = json::object();
            if (s.stats.report && !s.stats.report->rows.empty()) {
                broker = row_json(s.stats.report->rows.front());
            }
            return answer(200,
                          json{
                              {"now", t},
                              {"events",
                               {{"status", s.events_status},
                                {"error", s.events_error},
                                {"received", s.events_received},
                                {"dropped", s.events_dropped},
                                {"gaps", s.clock_gaps},
                                {"broker_restarts", s.broker_restarts},
                                {"last_clock", s.last_clock},
                                {"last_event_at", when(s.last_event_at)}}},
                              {"history",
                               {{"size", s.tasks.size()},
                                {"max", s.tasks.max_tasks()},
                                {"evicted", s.tasks.evicted()}}},
                              {"states", std::move(states)},
                              {"workers",
                               {{"online", s.workers.online()}, {"known", s.workers.all().size()}}},
                              {"queued", s.queues.total_length()},
                              {"broker", std::move(broker)},
                              {"stats_error", s.stats.error},
                          });
        });
    }
    if (parts.size() == 1 && parts[0] == "workers") {
        return model_.read([&](const model_state& s) {
            json rows = json::array();
            for (const auto& [name, w] : s.workers.all()) {
                rows.push_back({{"hostname", w.hostname},
                                {"online", w.online},
                                {"state", w.online ? "online" : "offline"},
                                {"version", w.version},
                                {"offline_reason", w.offline_reason},
                                {"freq", w.freq},
                                {"load", w.load},
                                {"active", w.active},
                                {"processed", w.processed},
                                {"slots", w.slots},
                                {"prefetch", w.prefetch},
                                {"draining", w.draining},
                                {"queues", w.queues},
                                {"tasks", w.tasks},
                                {"first_seen", when(w.first_seen)},
                                {"last_heartbeat", when(w.last_heartbeat)},
                                {"heartbeat_age_s", w.last_heartbeat > 0
                                                        ? json(std::max(0.0, t - w.last_heartbeat))
                                                        : json(nullptr)}});
            }
            json out = snapshot_json(s.workers_inspect);
            out.erase("rows");
            out["workers"] = std::move(rows);
            return answer(200, out);
        });
    }
    if (parts.size() == 1 && parts[0] == "queues") {
        return model_.read([&](const model_state& s) {
            json rows = json::array();
            for (const auto& [name, q] : s.queues.all()) {
                rows.push_back(
                    {{"name", q.name},
                     {"listed", q.listed},
                     {"length", q.length},
                     {"consumers", q.consumers},
                     {"workers", q.workers},
                     {"oldest_age_ms", q.oldest_age_ms ? json(*q.oldest_age_ms) : json(nullptr)},
                     {"rate_in", q.in.rate(t, queue_table::rate_window_s)},
                     {"rate_out", q.out.rate(t, queue_table::rate_window_s)}});
            }
            json out = snapshot_json(s.queues_inspect);
            out.erase("rows");
            out["queues"] = std::move(rows);
            out["rate_window_s"] = queue_table::rate_window_s;
            return answer(200, out);
        });
    }
    if (parts.size() == 1 && parts[0] == "tasks") {
        const std::size_t offset = count_param(request, "offset", 0, max_offset);
        const std::size_t limit = count_param(request, "limit", default_page, max_page);
        task_filter filter;
        filter.id_text = id_text_param(request);
        if (const auto states = param(request, "state"); states && !states->empty()) {
            std::string_view rest = *states;
            while (!rest.empty()) {
                const std::size_t comma = rest.find(',');
                const std::string_view one = rest.substr(0, comma);
                if (!one.empty()) {
                    const auto st = parse_task_state(one);
                    if (!st) {
                        throw bad_request{"state=" + *states + ": '" + std::string(one) +
                                          "' is not a state (sent, received, started, "
                                          "retrying, succeeded, failed, revoked, rejected, "
                                          "expired, dead)"};
                    }
                    filter.states.push_back(*st);
                }
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
        }
        const auto name = param(request, "name");
        const auto worker = param(request, "worker");
        return model_.read([&](const model_state& s) {
            task_filter f = filter;
            json out{{"offset", offset}, {"limit", limit}};
            // A name or worker never seen matches nothing (the pool has no number for it).
            if (name && !name->empty()) {
                const auto n = s.strings.find(*name);
                if (!n)
                    return answer(200, json{{"total", 0},
                                            {"offset", offset},
                                            {"limit", limit},
                                            {"tasks", json::array()}});
                f.name = *n;
            }
            if (worker && !worker->empty()) {
                const auto w = s.strings.find(*worker);
                if (!w)
                    return answer(200, json{{"total", 0},
                                            {"offset", offset},
                                            {"limit", limit},
                                            {"tasks", json::array()}});
                f.worker = *w;
            }
            const task_page page = s.tasks.list(f, offset, limit);
            json rows = json::array();
            for (const task_record* r : page.tasks) rows.push_back(task_summary(s, *r));
            out["total"] = page.total;
            out["tasks"] = std::move(rows);
            return answer(200, out);
        });
    }
    if ((parts.size() == 2 || parts.size() == 3) && parts[0] == "tasks") {
        const auto id = id_of(parts[1]);
        if (!id) {
            return error_answer(400, "bad_request",
                                "'" + std::string(parts[1]) + "' is not a task id (32 hex digits)");
        }
        if (parts.size() == 2) {
            return model_.read([&](const model_state& s) {
                const task_record* r = s.tasks.find(*id);
                if (r == nullptr) {
                    return error_answer(404, "unknown",
                                        "task " + id->to_hex() +
                                            " is not in the dashboard's history (the broker "
                                            "may still know it: /api/tasks/ID/result)");
                }
                return answer(200, task_detail(s, *r));
            });
        }
        if (parts[2] != "result") return error_answer(404, "not_found", "no such path");
        concurrent::future<fetch_result> f = broker_.fetch_state(*id);
        if (auto failed = wait_answer(f, options_.broker_timeout_s)) return *failed;
        const fetch_result got = f.result();
        json out{{"id", got.id.to_hex()}, {"state", proto::to_string(got.state)}};
        if (got.outcome) {
            const proto::outcome& o = *got.outcome;
            out["status"] = proto::to_string(o.status);
            if (o.status == proto::task_status::ok) {
                try {
                    out["result"] = embedded(msgpack_to_json(o.payload));
                } catch (const std::exception&) {
                    out["result"] = nullptr;
                    out["result_error"] = "the result is not msgpack";
                }
                out["result_bytes"] = o.payload.size();
            } else {
                out["error"] = {
                    {"type", o.error.type}, {"message", o.error.message}, {"where", o.error.where}};
            }
        }
        return answer(200, out);
    }
    if (parts.size() == 1 && (parts[0] == "dead" || parts[0] == "limits" || parts[0] == "stats")) {
        return model_.read([&](const model_state& s) {
            const inspect_snapshot& snap = parts[0] == "dead"     ? s.dead
                                           : parts[0] == "limits" ? s.limits
                                                                  : s.stats;
            return answer(200, snapshot_json(snap));
        });
    }
    if (parts.size() == 1 && parts[0] == "series") {
        return model_.read([&](const model_state& s) {
            const double nan = std::nan("");
            auto values = [&](const bucket_series& b, bool gauge) {
                json out = json::array();
                for (const double v : b.window(t, gauge ? nan : 0.0)) {
                    out.push_back(std::isnan(v) ? json(nullptr) : json(v));
                }
                return out;
            };
            const double step = model_state::chart_step_s;
            const double end = (std::floor(t / step) + 1) * step;
            return answer(200, json{{"step", step},
                                    {"end", end},
                                    {"start", end - step * model_state::chart_buckets},
                                    {"sent", values(s.sent, false)},
                                    {"succeeded", values(s.succeeded, false)},
                                    {"failed", values(s.failed, false)},
                                    {"retried", values(s.retried, false)},
                                    {"depth", values(s.depth, true)}});
        });
    }
    if (parts.size() == 1 && parts[0] == "filters") {
        return model_.read([&](const model_state& s) {
            json names = json::array();
            for (const std::string& n : s.task_names) names.push_back(n);
            json workers = json::array();
            for (const auto& [name, w] : s.workers.all()) workers.push_back(name);
            json states = json::array();
            for (std::size_t i = 0; i < task_state_count; ++i) {
                states.push_back(to_string(static_cast<task_state>(i)));
            }
            return answer(200, json{{"names", names}, {"workers", workers}, {"states", states}});
        });
    }
    return error_answer(404, "not_found", "no such path: " + request.path);
}

api_answer json_api::control_action(const api_request& request) const {
    if (request.method != "POST") {
        api_answer a = error_answer(405, "method_not_allowed", "control actions are POST only");
        return a;
    }
    if (request.token.empty()) {
        return error_answer(401, "no_token",
                            "control actions need the header X-Shoal-Token (the token "
                            "`shoal dashboard` printed, or its --control-token-file)");
    }
    if (!tokens_equal(request.token, options_.control_token)) {
        return error_answer(403, "bad_token", "the X-Shoal-Token is not this dashboard's token");
    }
    const auto parts = segments(std::string_view(request.path).substr(5));
    if (parts[0] == "queues") {
        // The queue is everything between /api/queues/ and /purge (a name may hold a slash).
        const std::string_view path = request.path;
        const std::size_t begin = std::string_view("/api/queues/").size();
        const std::size_t end = path.rfind("/purge");
        const std::string queue(path.substr(begin, end - begin));
        if (queue.empty() || queue.size() > 255) {
            return error_answer(400, "bad_request", "a queue name is 1 to 255 bytes");
        }
        concurrent::future<std::uint64_t> f = broker_.purge(queue);
        if (auto failed = wait_answer(f, options_.broker_timeout_s)) return *failed;
        return answer(200, json{{"queue", queue}, {"purged", f.result()}});
    }
    const auto id = id_of(parts[1]);
    if (!id) {
        return error_answer(400, "bad_request",
                            "'" + std::string(parts[1]) + "' is not a task id (32 hex digits)");
    }
    if (parts[0] == "dead") {
        // REQUEUE has no answer the client shows: a key that may not INSPECT dead may not
        // REQUEUE either (both need an admin key), so the poller's refusal is the broker's.
        const auto refused = model_.read([](const model_state& s) {
            return s.dead.error_code == "forbidden" ? std::optional<std::string>(s.dead.error)
                                                    : std::nullopt;
        });
        if (refused) return error_answer(403, "forbidden", *refused);
        broker_.requeue(*id);
        return answer(202, json{{"id", id->to_hex()}, {"action", "retry"}, {"requested", true}});
    }
    const bool terminate = parts[2] == "terminate" || flag_param(request, "terminate");
    broker_.revoke(*id, terminate);
    return answer(202, json{{"id", id->to_hex()},
                            {"action", terminate ? "terminate" : "revoke"},
                            {"requested", true}});
}

}  // namespace shoal::dashboard
