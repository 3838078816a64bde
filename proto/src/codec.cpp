#include "shoal/proto/codec.hpp"

#include <algorithm>
#include <utility>

#include "body_reader.hpp"

namespace shoal::proto {

using namespace detail;

namespace {

// ---- shared pieces ----

void pack_error(string_packer& p, const error_info& e) {
    p.pack_array(3);
    pack_str(p, e.type);
    pack_str(p, e.message);
    pack_str(p, e.where);
}

error_info read_error(const msgpack::object& o, std::string_view field) {
    const auto& a = read_array(o, 3, field);
    return {read_str(a.ptr[0], SIZE_MAX, field), read_str(a.ptr[1], SIZE_MAX, field),
            read_str(a.ptr[2], SIZE_MAX, field)};
}

void pack_ids(string_packer& p, const std::vector<task_id>& ids) {
    pack_list(p, ids, [&](const task_id& id) { pack_task_id(p, id); });
}

std::vector<task_id> read_ids(const msgpack::object& o, std::string_view field) {
    return read_list(o, field, [&](const msgpack::object& e) { return read_task_id(e, field); });
}

// A REPORT row, or an ADMIN's params: a flat map of str -> int | str.
void pack_row(string_packer& p, const report_row& row) {
    p.pack_map(static_cast<std::uint32_t>(row.size()));
    for (const auto& f : row) {
        pack_str(p, f.key);
        if (const auto* i = std::get_if<std::int64_t>(&f.value)) {
            p.pack(*i);
        } else {
            pack_str(p, std::get<std::string>(f.value));
        }
    }
}

report_row read_row(const msgpack::object& o, std::string_view field) {
    if (o.type != msgpack::type::MAP) bad_body(field, "not a map");
    const auto& map = o.via.map;
    report_row row;
    row.reserve(map.size);
    for (std::uint32_t k = 0; k < map.size; ++k) {
        report_field f;
        f.key = read_str(map.ptr[k].key, max_name_bytes, "row key");
        const auto& v = map.ptr[k].val;
        if (v.type == msgpack::type::STR) {
            f.value = read_str(v, SIZE_MAX, f.key);
        } else {
            f.value = read_int(v, f.key);
        }
        row.push_back(std::move(f));
    }
    return row;
}

std::string read_name(const msgpack::object& o, std::string_view field) {
    auto s = read_str(o, max_name_bytes, field);
    if (s.empty()) bad_body(field, "empty");
    return s;
}

// Options travel as a map of only the keys that are set: uints, three bools, retry_on (an
// array of error type names) and inputs.
template <class F>
void for_each_uint_option(const task_options& o, F&& f) {
    if (o.priority) f("priority", *o.priority);
    if (o.countdown_ms) f("countdown_ms", *o.countdown_ms);
    if (o.eta_ms) f("eta_ms", *o.eta_ms);
    if (o.expires_ms) f("expires_ms", *o.expires_ms);
    if (o.time_limit_ms) f("time_limit_ms", *o.time_limit_ms);
    if (o.soft_time_limit_ms) f("soft_time_limit_ms", *o.soft_time_limit_ms);
    if (o.max_retries) f("max_retries", *o.max_retries);
    if (o.retry_delay_ms) f("retry_delay_ms", *o.retry_delay_ms);
    if (o.retry_backoff_max_ms) f("retry_backoff_max_ms", *o.retry_backoff_max_ms);
}

template <class F>
void for_each_bool_option(const task_options& o, F&& f) {
    if (o.retry_backoff) f("retry_backoff", *o.retry_backoff);
    if (o.retry_jitter) f("retry_jitter", *o.retry_jitter);
    if (o.chunk) f("chunk", *o.chunk);
}

// An input is [index, id], or [index, [id, ...]] for a list input.
void pack_input(string_packer& p, const task_input& in) {
    p.pack_array(2);
    if (in.index == task_input::no_argument) {
        p.pack_nil();
    } else {
        p.pack(in.index);
    }
    if (in.list) {
        pack_ids(p, in.ids);
    } else {
        pack_task_id(p, in.ids.at(0));
    }
}

task_input read_input(const msgpack::object& o, std::size_t& ids_left) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 2) {
        bad_body("inputs", "each input must be [index, id] or [index, [id, ...]]");
    }
    task_input in;
    in.index = o.via.array.ptr[0].type == msgpack::type::NIL
                   ? task_input::no_argument
                   : read_u32(o.via.array.ptr[0], "inputs");
    const msgpack::object& what = o.via.array.ptr[1];
    if (what.type == msgpack::type::ARRAY) {
        in.list = true;
        if (what.via.array.size > ids_left) bad_body("inputs", "more than 10000 input ids");
        in.ids = read_ids(what, "inputs");
    } else {
        if (ids_left == 0) bad_body("inputs", "more than 10000 input ids");
        in.ids.push_back(read_task_id(what, "inputs"));
    }
    ids_left -= in.ids.size();
    return in;
}

void pack_options(string_packer& p, const task_options& o) {
    std::uint32_t n = (o.retry_on.empty() ? 0 : 1) + (o.inputs.empty() ? 0 : 1);
    for_each_uint_option(o, [&](const char*, std::uint64_t) { ++n; });
    for_each_bool_option(o, [&](const char*, bool) { ++n; });
    p.pack_map(n);
    for_each_uint_option(o, [&](const char* key, std::uint64_t value) {
        pack_str(p, key);
        p.pack(value);
    });
    for_each_bool_option(o, [&](const char* key, bool value) {
        pack_str(p, key);
        p.pack(value);
    });
    if (!o.retry_on.empty()) {
        pack_str(p, "retry_on");
        pack_list(p, o.retry_on, [&](const std::string& type) { pack_str(p, type); });
    }
    if (!o.inputs.empty()) {
        pack_str(p, "inputs");
        pack_list(p, o.inputs, [&](const task_input& in) { pack_input(p, in); });
    }
}

bool read_flag(const msgpack::object& v, std::string_view field) {
    if (v.type == msgpack::type::BOOLEAN) return v.via.boolean;
    const auto n = read_uint(v, field);
    if (n > 1) bad_body(field, "must be true, false, 0 or 1");
    return n == 1;
}

// Throws decode_error bad_body for a bad shape or value; an unknown key is reported through
// `unknown_key` (the caller decides: a per-task refusal `unsupported`).
task_options read_options(const msgpack::object& o, std::string_view field,
                          std::string* unknown_key) {
    if (o.type != msgpack::type::MAP) bad_body(field, "options: not a map");
    task_options opts;
    const auto& m = o.via.map;
    for (std::uint32_t i = 0; i < m.size; ++i) {
        const auto key = read_str_view(m.ptr[i].key, max_name_bytes, "option key");
        const auto& v = m.ptr[i].val;
        if (key == "priority") {
            const auto pr = read_u32(v, "priority");
            if (pr > 9) bad_body("priority", "must be 0..9");
            opts.priority = pr;
        } else if (key == "countdown_ms") {
            opts.countdown_ms = read_uint(v, key);
        } else if (key == "eta_ms") {
            opts.eta_ms = read_uint(v, key);
        } else if (key == "expires_ms") {
            opts.expires_ms = read_uint(v, key);
        } else if (key == "time_limit_ms") {
            opts.time_limit_ms = read_uint(v, key);
        } else if (key == "soft_time_limit_ms") {
            opts.soft_time_limit_ms = read_uint(v, key);
        } else if (key == "max_retries") {
            opts.max_retries = read_u32(v, key);
        } else if (key == "retry_delay_ms") {
            opts.retry_delay_ms = read_uint(v, key);
        } else if (key == "retry_backoff_max_ms") {
            opts.retry_backoff_max_ms = read_uint(v, key);
        } else if (key == "retry_backoff") {
            opts.retry_backoff = read_flag(v, key);
        } else if (key == "retry_jitter") {
            opts.retry_jitter = read_flag(v, key);
        } else if (key == "chunk") {
            opts.chunk = read_flag(v, key);
        } else if (key == "retry_on") {
            opts.retry_on = read_list(
                v, key, [](const msgpack::object& e) { return read_name(e, "retry_on"); });
            if (opts.retry_on.size() > max_retry_on) bad_body(key, "more than 32 error types");
        } else if (key == "inputs") {
            if (v.type == msgpack::type::ARRAY && v.via.array.size > max_inputs) {
                bad_body(key, "more than 1024 inputs");
            }
            std::size_t ids_left = max_input_ids;
            opts.inputs = read_list(
                v, key, [&](const msgpack::object& e) { return read_input(e, ids_left); });
        } else if (unknown_key != nullptr) {
            *unknown_key = std::string(key);
        } else {
            bad_body(field, "unknown option '" + std::string(key) + "'");
        }
    }
    return opts;
}

void pack_outcome_fields(string_packer& p, const outcome& o) {
    pack_task_id(p, o.id);
    pack_str(p, to_string(o.status));
    if (o.status == task_status::ok) {
        pack_bin(p, o.payload);
    } else {
        pack_error(p, o.error);
    }
}

outcome read_outcome_fields(const msgpack::object_array& a, std::string_view field) {
    outcome out;
    out.id = read_task_id(a.ptr[0], field);
    const auto status = task_status_from(read_str_view(a.ptr[1], max_name_bytes, field));
    if (!status) bad_body(field, "unknown status");
    out.status = *status;
    if (out.status == task_status::ok) {
        out.payload = read_bin(a.ptr[2], field);
    } else {
        out.error = read_error(a.ptr[2], field);
    }
    return out;
}

void pack_outcome(string_packer& p, const outcome& o) {
    p.pack_array(3);
    pack_outcome_fields(p, o);
}

outcome read_outcome(const msgpack::object& o, std::string_view field) {
    return read_outcome_fields(read_array(o, 3, field), field);
}

// FETCH and REQUEUE: a body that is just [[task_id, ...]]; REVOKE and CANCEL add a terminate
// flag, [[task_id, ...], terminate], sent only when true.
std::string encode_id_list(const std::vector<task_id>& ids, bool terminate = false);
template <class Message>
Message decode_id_list(std::string_view body, const decode_limits& limits, std::string_view what);

// Every encode: a packer writing into the returned string.
template <class F>
std::string packed(std::size_t reserve, F&& f) {
    std::string out;
    out.reserve(reserve);
    string_writer writer{out};
    string_packer p(writer);
    f(p);
    return out;
}

// The body's top-level array, with at least `min` elements.
template <class F>
auto with_body(std::string_view body, const decode_limits& limits, std::size_t min,
               std::string_view what, F&& f) {
    const auto handle = unpack_bounded(body, limits);
    return f(read_array(handle.get(), min, what));
}

}  // namespace

// ---- to_string ----

const char* to_string(task_status s) noexcept {
    switch (s) {
        case task_status::ok:
            return "ok";
        case task_status::failed:
            return "failed";
        case task_status::revoked:
            return "revoked";
        case task_status::unknown_task:
            return "unknown_task";
        case task_status::lost:
            return "lost";
        case task_status::expired:
            return "expired";
    }
    return "?";
}

std::optional<task_status> task_status_from(std::string_view t) noexcept {
    for (auto s : {task_status::ok, task_status::failed, task_status::revoked,
                   task_status::unknown_task, task_status::lost, task_status::expired}) {
        if (t == to_string(s)) return s;
    }
    return std::nullopt;
}

const char* to_string(result_state s) noexcept {
    switch (s) {
        case result_state::unknown:
            return "unknown";
        case result_state::pending:
            return "pending";
        case result_state::done:
            return "done";
        case result_state::expired:
            return "expired";
    }
    return "?";
}

std::optional<result_state> result_state_from(std::string_view t) noexcept {
    for (auto s : {result_state::unknown, result_state::pending, result_state::done,
                   result_state::expired}) {
        if (t == to_string(s)) return s;
    }
    return std::nullopt;
}

// ---- encode ----

namespace {

std::string encode_id_list(const std::vector<task_id>& ids, bool terminate) {
    return packed(8 + 18 * ids.size(), [&](string_packer& p) {
        p.pack_array(terminate ? 2 : 1);
        pack_ids(p, ids);
        if (terminate) p.pack(true);
    });
}

template <class Message>
Message decode_id_list_with_flag(std::string_view body, const decode_limits& limits,
                                 std::string_view what) {
    return with_body(body, limits, 1, what, [](const msgpack::object_array& a) {
        Message m;
        m.ids = read_ids(a.ptr[0], "ids");
        if (a.size > 1) m.terminate = read_flag(a.ptr[1], "terminate");
        return m;
    });
}

template <class Message>
Message decode_id_list(std::string_view body, const decode_limits& limits, std::string_view what) {
    return with_body(body, limits, 1, what, [](const msgpack::object_array& a) {
        return Message{read_ids(a.ptr[0], "ids")};
    });
}

}  // namespace

std::string encode(const hello& m) {
    return packed(64 + m.name.size() + m.software.size(), [&](string_packer& p) {
        p.pack_array(5);
        pack_str(p, m.role == peer_role::worker ? "worker" : "client");
        pack_str(p, m.name);
        p.pack(m.minor);
        if (m.role == peer_role::worker) {
            p.pack_array(4);
            p.pack(m.worker.slots);
            p.pack(m.worker.prefetch);
            pack_list(p, m.worker.task_names, [&](const std::string& n) { pack_str(p, n); });
            pack_list(p, m.worker.queues, [&](const std::string& q) { pack_str(p, q); });
        } else {
            p.pack_array(0);
        }
        pack_str(p, m.software);
    });
}

std::string encode(const welcome& m) {
    return packed(40, [&](string_packer& p) {
        p.pack_array(5);
        p.pack(m.heartbeat_ms);
        p.pack(m.liveness);
        p.pack(m.max_message_bytes);
        p.pack(m.max_batch);
        p.pack(m.window_bytes);
    });
}

std::string encode(const heartbeat& m) {
    return packed(12, [&](string_packer& p) {
        if (m.received) {
            p.pack_array(1);
            p.pack(*m.received);
        } else {
            p.pack_array(0);
        }
    });
}

std::string encode(const bye& m) {
    return packed(8 + m.reason.size(), [&](string_packer& p) {
        p.pack_array(1);
        pack_str(p, m.reason);
    });
}

std::string encode(const error_reply& m) {
    return packed(32 + m.code.size() + m.message.size(), [&](string_packer& p) {
        p.pack_array(m.answers ? 4 : 3);
        pack_str(p, m.code);
        pack_str(p, m.message);
        if (m.related) {
            pack_task_id(p, *m.related);
        } else {
            p.pack_nil();
        }
        if (m.answers) p.pack(static_cast<std::uint8_t>(*m.answers));
    });
}

std::string encode(const submit& m) {
    std::size_t size = 8;
    for (const auto& t : m.tasks) size += 40 + t.name.size() + t.queue.size() + t.payload.size();
    return packed(size, [&](string_packer& p) {
        p.pack_array(1);
        pack_list(p, m.tasks, [&](const submitted_task& t) {
            p.pack_array(5);
            pack_task_id(p, t.id);
            pack_str(p, t.name);
            pack_str(p, t.queue);
            pack_bin(p, t.payload);
            pack_options(p, t.options);
        });
    });
}

std::string encode(const accepted& m) {
    return packed(16 + 18 * m.ids.size() + 64 * m.refused.size(), [&](string_packer& p) {
        p.pack_array(3);
        pack_ids(p, m.ids);
        pack_list(p, m.refused, [&](const refusal& r) {
            p.pack_array(2);
            pack_task_id(p, r.id);
            pack_error(p, r.error);
        });
        p.pack(m.retry_after_ms);
    });
}

std::string encode(const result& m) {
    std::size_t size = 8;
    for (const auto& o : m.outcomes) size += 32 + o.payload.size();
    return packed(size, [&](string_packer& p) {
        p.pack_array(1);
        pack_list(p, m.outcomes, [&](const outcome& o) { pack_outcome(p, o); });
    });
}

std::string encode(const fetch& m) { return encode_id_list(m.ids); }

std::string encode(const fetched& m) {
    return packed(8 + 48 * m.entries.size() + 18 * m.deferred.size(), [&](string_packer& p) {
        p.pack_array(2);
        pack_list(p, m.entries, [&](const fetched_entry& e) {
            p.pack_array(3);
            pack_task_id(p, e.id);
            pack_str(p, to_string(e.state));
            if (e.result) {
                pack_outcome(p, *e.result);
            } else {
                p.pack_nil();
            }
        });
        pack_ids(p, m.deferred);
    });
}

std::string encode(const revoke& m) { return encode_id_list(m.ids, m.terminate); }

std::string encode(const requeue& m) { return encode_id_list(m.ids); }

std::string encode(const purge& m) {
    return packed(8 + m.queue.size(), [&](string_packer& p) {
        p.pack_array(1);
        pack_str(p, m.queue);
    });
}

std::string encode(const purged& m) {
    return packed(16 + m.queue.size(), [&](string_packer& p) {
        p.pack_array(2);
        pack_str(p, m.queue);
        p.pack(m.count);
    });
}

std::string encode(const inspect& m) {
    return packed(8 + m.what.size(), [&](string_packer& p) {
        p.pack_array(1);
        pack_str(p, m.what);
    });
}

std::string encode(const admin& m) {
    return packed(16 + m.action.size() + 32 * m.params.size() + m.payload.size(),
                  [&](string_packer& p) {
                      const bool payload = !m.payload.empty();
                      p.pack_array(payload ? 3 : m.params.empty() ? 1 : 2);
                      pack_str(p, m.action);
                      if (payload || !m.params.empty()) pack_row(p, m.params);
                      if (payload) pack_bin(p, m.payload);
                  });
}

std::string encode(const report& m) {
    return packed(64 + 64 * m.rows.size(), [&](string_packer& p) {
        p.pack_array(2);
        pack_str(p, m.what);
        pack_list(p, m.rows, [&](const report_row& row) { pack_row(p, row); });
    });
}

std::string encode(const subscribe& m) {
    return packed(4, [&](string_packer& p) {
        p.pack_array(1);
        p.pack(m.on);
    });
}

std::string encode(const events& m) {
    std::size_t size = 16;
    for (const auto& e : m.items) size += e.size();
    std::string out;
    out.reserve(size);
    string_writer writer{out};
    string_packer p(writer);
    p.pack_array(2);
    p.pack_array(static_cast<std::uint32_t>(m.items.size()));
    for (const auto& e : m.items) out.append(e);  // each is one msgpack map already
    p.pack(m.dropped);
    return out;
}

std::string encode(const ready& m) {
    return packed(8, [&](string_packer& p) {
        p.pack_array(1);
        p.pack(m.credit);
    });
}

std::string encode(const dispatch& m) {
    std::size_t size = 8;
    for (const auto& t : m.tasks) size += 40 + t.name.size() + t.payload.size();
    return packed(size, [&](string_packer& p) {
        p.pack_array(1);
        pack_list(p, m.tasks, [&](const dispatched_task& t) {
            p.pack_array(5);
            pack_task_id(p, t.id);
            pack_str(p, t.name);
            pack_bin(p, t.payload);
            p.pack(t.attempt);
            pack_options(p, t.options);
        });
    });
}

std::string encode(const done& m) {
    std::size_t size = 16;
    for (const auto& f : m.finished) size += 48 + f.result.payload.size();
    return packed(size, [&](string_packer& p) {
        const bool runtimes = std::any_of(m.finished.begin(), m.finished.end(),
                                          [](const finished_task& f) { return f.runtime_us; });
        p.pack_array(runtimes ? 3 : 2);
        pack_list(p, m.finished, [&](const finished_task& f) {
            p.pack_array(f.retry_countdown_ms ? 5 : 4);
            pack_outcome_fields(p, f.result);
            p.pack(f.attempt);
            if (f.retry_countdown_ms) p.pack(*f.retry_countdown_ms);
        });
        p.pack(m.credit);
        if (runtimes) {
            pack_list(p, m.finished,
                      [&](const finished_task& f) { p.pack(f.runtime_us.value_or(0)); });
        }
    });
}

std::string encode(const cancel& m) { return encode_id_list(m.ids, m.terminate); }

namespace {

void pack_attempts(string_packer& p, const std::vector<task_attempt>& tasks) {
    p.pack_array(1);
    pack_list(p, tasks, [&](const task_attempt& t) {
        p.pack_array(2);
        pack_task_id(p, t.id);
        p.pack(t.attempt);
    });
}

std::vector<task_attempt> read_attempts(const msgpack::object& o, std::string_view field) {
    return read_list(o, field, [&](const msgpack::object& e) {
        const auto& a = read_array(e, 2, field);
        return task_attempt{read_task_id(a.ptr[0], field), read_u32(a.ptr[1], "attempt")};
    });
}

}  // namespace

std::string encode(const started& m) {
    return packed(8 + 24 * m.tasks.size(), [&](string_packer& p) { pack_attempts(p, m.tasks); });
}

std::string encode(const drain& m) {
    return packed(8 + 24 * m.returned.size(),
                  [&](string_packer& p) { pack_attempts(p, m.returned); });
}

// ---- decode ----

template <>
hello decode<hello>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 4, "HELLO", [](const msgpack::object_array& a) {
        hello m;
        const auto role = read_str_view(a.ptr[0], max_name_bytes, "role");
        if (role == "worker") {
            m.role = peer_role::worker;
        } else if (role == "client") {
            m.role = peer_role::client;
        } else {
            bad_body("role", "must be \"client\" or \"worker\"");
        }
        m.name = read_str(a.ptr[1], max_name_bytes, "name");
        m.minor = read_u32(a.ptr[2], "protocol_minor");
        const auto& details = read_array(a.ptr[3], 0, "details");
        if (m.role == peer_role::worker) {
            if (details.size < 3) bad_body("details", "a worker gives [slots, prefetch, names]");
            m.worker.slots = read_u32(details.ptr[0], "slots");
            m.worker.prefetch = read_u32(details.ptr[1], "prefetch");
            m.worker.task_names =
                read_list(details.ptr[2], "task names",
                          [](const msgpack::object& n) { return read_name(n, "task name"); });
            // Minor 2 appended the queues; a minor-1 worker sends none (it consumes default).
            if (details.size > 3) {
                m.worker.queues = read_list(details.ptr[3], "queues", [](const msgpack::object& q) {
                    return read_name(q, "queue");
                });
            }
        }
        // Minor 3 appended the software; an older peer sends none.
        if (a.size > 4) m.software = read_str(a.ptr[4], max_name_bytes, "software");
        return m;
    });
}

template <>
welcome decode<welcome>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 4, "WELCOME", [](const msgpack::object_array& a) {
        welcome m;
        m.heartbeat_ms = read_u32(a.ptr[0], "heartbeat_ms");
        m.liveness = read_u32(a.ptr[1], "liveness");
        m.max_message_bytes = read_uint(a.ptr[2], "max_message_bytes");
        m.max_batch = read_u32(a.ptr[3], "max_batch");
        if (a.size > 4) m.window_bytes = read_uint(a.ptr[4], "window_bytes");
        if (m.heartbeat_ms == 0 || m.liveness == 0 || m.max_batch == 0) {
            bad_body("WELCOME", "heartbeat_ms, liveness and max_batch must be positive");
        }
        return m;
    });
}

template <>
heartbeat decode<heartbeat>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 0, "HEARTBEAT", [](const msgpack::object_array& a) {
        heartbeat m;
        if (a.size > 0) m.received = read_uint(a.ptr[0], "received");
        return m;
    });
}

template <>
bye decode<bye>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "BYE", [](const msgpack::object_array& a) {
        return bye{read_str(a.ptr[0], SIZE_MAX, "reason")};
    });
}

template <>
error_reply decode<error_reply>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 3, "ERROR", [](const msgpack::object_array& a) {
        error_reply m;
        m.code = read_str(a.ptr[0], max_name_bytes, "code");
        m.message = read_str(a.ptr[1], SIZE_MAX, "message");
        if (!is_nil(a.ptr[2])) m.related = read_task_id(a.ptr[2], "related");
        if (a.size > 3 && !is_nil(a.ptr[3])) {
            const std::uint32_t byte = read_u32(a.ptr[3], "answers");
            // A command this side does not know is no request of its own: ignored.
            if (byte <= UINT8_MAX) m.answers = command_from_byte(static_cast<std::uint8_t>(byte));
        }
        return m;
    });
}

template <>
submit decode<submit>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "SUBMIT", [](const msgpack::object_array& a) {
        const auto& tasks = read_array(a.ptr[0], 0, "tasks");
        submit m;
        m.tasks.reserve(tasks.size);
        for (std::uint32_t i = 0; i < tasks.size; ++i) {
            // Without a readable id there is nothing to refuse by name: the body is bad.
            const auto& t = read_array(tasks.ptr[i], 1, "task");
            const task_id id = read_task_id(t.ptr[0], "task_id");
            try {
                if (t.size < 5) bad_body("task", "needs [task_id, name, queue, payload, options]");
                submitted_task st;
                st.id = id;
                st.name = read_name(t.ptr[1], "name");
                st.queue = read_name(t.ptr[2], "queue");
                st.payload = read_bin(t.ptr[3], "payload");
                std::string unknown;
                st.options = read_options(t.ptr[4], "options", &unknown);
                if (!unknown.empty()) {
                    m.malformed.push_back(
                        {id, {"unsupported", "unknown option '" + unknown + "'", "broker"}});
                    continue;
                }
                m.tasks.push_back(std::move(st));
            } catch (const decode_error& e) {
                m.malformed.push_back({id, {"bad_task", e.what(), "broker"}});
            }
        }
        return m;
    });
}

template <>
accepted decode<accepted>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 2, "ACCEPTED", [](const msgpack::object_array& a) {
        accepted m;
        m.ids = read_ids(a.ptr[0], "accepted ids");
        m.refused = read_list(a.ptr[1], "refused", [](const msgpack::object& o) {
            const auto& r = read_array(o, 2, "refusal");
            return refusal{read_task_id(r.ptr[0], "refusal"), read_error(r.ptr[1], "refusal")};
        });
        if (a.size > 2) m.retry_after_ms = read_u32(a.ptr[2], "retry_after_ms");
        return m;
    });
}

template <>
result decode<result>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "RESULT", [](const msgpack::object_array& a) {
        return result{read_list(a.ptr[0], "outcomes", [](const msgpack::object& o) {
            return read_outcome(o, "outcome");
        })};
    });
}

template <>
fetch decode<fetch>(std::string_view body, const decode_limits& limits) {
    return decode_id_list<fetch>(body, limits, "FETCH");
}

template <>
fetched decode<fetched>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "FETCHED", [](const msgpack::object_array& a) {
        fetched m;
        m.entries = read_list(a.ptr[0], "entries", [](const msgpack::object& o) {
            const auto& e = read_array(o, 3, "entry");
            fetched_entry fe;
            fe.id = read_task_id(e.ptr[0], "entry");
            const auto state = result_state_from(read_str_view(e.ptr[1], max_name_bytes, "state"));
            if (!state) bad_body("state", "unknown state");
            fe.state = *state;
            if (fe.state == result_state::done) {
                fe.result = read_outcome(e.ptr[2], "entry outcome");
            } else if (!is_nil(e.ptr[2])) {
                bad_body("entry", "an outcome without state done");
            }
            return fe;
        });
        if (a.size > 1) m.deferred = read_ids(a.ptr[1], "deferred");
        return m;
    });
}

template <>
revoke decode<revoke>(std::string_view body, const decode_limits& limits) {
    return decode_id_list_with_flag<revoke>(body, limits, "REVOKE");
}

template <>
requeue decode<requeue>(std::string_view body, const decode_limits& limits) {
    return decode_id_list<requeue>(body, limits, "REQUEUE");
}

template <>
purge decode<purge>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "PURGE", [](const msgpack::object_array& a) {
        return purge{read_name(a.ptr[0], "queue")};
    });
}

template <>
purged decode<purged>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 2, "PURGED", [](const msgpack::object_array& a) {
        return purged{read_name(a.ptr[0], "queue"), read_uint(a.ptr[1], "count")};
    });
}

template <>
inspect decode<inspect>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "INSPECT", [](const msgpack::object_array& a) {
        return inspect{read_name(a.ptr[0], "what")};
    });
}

template <>
admin decode<admin>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "ADMIN", [](const msgpack::object_array& a) {
        admin m{read_name(a.ptr[0], "action"), {}, {}};
        if (a.size > 1 && !is_nil(a.ptr[1])) m.params = read_row(a.ptr[1], "params");
        if (a.size > 2 && !is_nil(a.ptr[2])) m.payload = read_bin(a.ptr[2], "payload");
        return m;
    });
}

template <>
report decode<report>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 2, "REPORT", [](const msgpack::object_array& a) {
        report m;
        m.what = read_name(a.ptr[0], "what");
        m.rows = read_list(a.ptr[1], "rows",
                           [](const msgpack::object& o) { return read_row(o, "row"); });
        return m;
    });
}

template <>
subscribe decode<subscribe>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "SUBSCRIBE", [](const msgpack::object_array& a) {
        return subscribe{read_flag(a.ptr[0], "on")};
    });
}

template <>
events decode<events>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 2, "EVENTS", [](const msgpack::object_array& a) {
        events m;
        m.items = read_list(a.ptr[0], "events", [](const msgpack::object& o) {
            if (o.type != msgpack::type::MAP) bad_body("event", "not a map");
            std::string bytes;
            string_writer writer{bytes};
            string_packer repacked(writer);
            repacked.pack(o);
            return bytes;
        });
        m.dropped = read_uint(a.ptr[1], "dropped");
        return m;
    });
}

template <>
ready decode<ready>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "READY", [](const msgpack::object_array& a) {
        return ready{read_u32(a.ptr[0], "credit")};
    });
}

template <>
dispatch decode<dispatch>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "DISPATCH", [](const msgpack::object_array& a) {
        const auto& entries = read_array(a.ptr[0], 0, "tasks");
        dispatch m;
        m.tasks.reserve(entries.size);
        for (std::uint32_t i = 0; i < entries.size; ++i) {
            const msgpack::object& o = entries.ptr[i];
            try {
                const auto& t = read_array(o, 5, "task");
                dispatched_task d;
                d.id = read_task_id(t.ptr[0], "task_id");
                d.name = read_name(t.ptr[1], "name");
                d.payload = read_bin(t.ptr[2], "payload");
                d.attempt = read_u32(t.ptr[3], "attempt");
                d.options = read_options(t.ptr[4], "options", nullptr);
                m.tasks.push_back(std::move(d));
            } catch (const decode_error& e) {
                // Named by its id if that much is readable; its attempt if that is too.
                if (o.type != msgpack::type::ARRAY || o.via.array.size == 0) {
                    ++m.unidentified;
                    continue;
                }
                const auto& t = o.via.array;
                const auto id = task_id::from_bytes(
                    t.ptr[0].type == msgpack::type::BIN
                        ? std::string_view(t.ptr[0].via.bin.ptr, t.ptr[0].via.bin.size)
                        : std::string_view());
                if (!id) {
                    ++m.unidentified;
                    continue;
                }
                malformed_dispatch bad{*id, 1, e.what()};
                if (t.size > 3 && t.ptr[3].type == msgpack::type::POSITIVE_INTEGER &&
                    t.ptr[3].via.u64 <= UINT32_MAX) {
                    bad.attempt = static_cast<std::uint32_t>(t.ptr[3].via.u64);
                }
                m.malformed.push_back(std::move(bad));
            }
        }
        return m;
    });
}

template <>
done decode<done>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 2, "DONE", [](const msgpack::object_array& a) {
        done m;
        m.finished = read_list(a.ptr[0], "finished", [](const msgpack::object& o) {
            const auto& f = read_array(o, 4, "finished task");
            finished_task t{
                read_outcome_fields(f, "finished task"), read_u32(f.ptr[3], "attempt"), {}};
            if (f.size > 4) t.retry_countdown_ms = read_uint(f.ptr[4], "retry_countdown_ms");
            return t;
        });
        m.credit = read_u32(a.ptr[1], "credit");
        if (a.size > 2) {
            const auto& runtimes = read_array(a.ptr[2], 0, "runtimes_us");
            if (runtimes.size != m.finished.size()) {
                bad_body("runtimes_us", "not one per finished task");
            }
            for (std::uint32_t i = 0; i < runtimes.size; ++i) {
                m.finished[i].runtime_us = read_uint(runtimes.ptr[i], "runtime_us");
            }
        }
        return m;
    });
}

template <>
cancel decode<cancel>(std::string_view body, const decode_limits& limits) {
    return decode_id_list_with_flag<cancel>(body, limits, "CANCEL");
}

template <>
started decode<started>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "STARTED", [](const msgpack::object_array& a) {
        return started{read_attempts(a.ptr[0], "started tasks")};
    });
}

template <>
drain decode<drain>(std::string_view body, const decode_limits& limits) {
    return with_body(body, limits, 1, "DRAIN", [](const msgpack::object_array& a) {
        return drain{read_attempts(a.ptr[0], "returned tasks")};
    });
}

}  // namespace shoal::proto
