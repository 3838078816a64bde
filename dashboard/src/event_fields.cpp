#include "shoal/dashboard/event_fields.hpp"

#include <msgpack.hpp>

#include "shoal/client/json_msgpack.hpp"

namespace shoal::dashboard {

namespace {

std::string_view key_of(const msgpack::object& o) {
    if (o.type != msgpack::type::STR) return {};
    return {o.via.str.ptr, o.via.str.size};
}

void take_text(const msgpack::object& o, std::string& out) {
    if (o.type == msgpack::type::STR) out.assign(o.via.str.ptr, o.via.str.size);
}

void take_number(const msgpack::object& o, std::optional<double>& out) {
    switch (o.type) {
        case msgpack::type::POSITIVE_INTEGER:
            out = static_cast<double>(o.via.u64);
            break;
        case msgpack::type::NEGATIVE_INTEGER:
            out = static_cast<double>(o.via.i64);
            break;
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64:
            out = o.via.f64;
            break;
        default:
            break;
    }
}

void take_count(const msgpack::object& o, std::optional<std::uint64_t>& out) {
    if (o.type == msgpack::type::POSITIVE_INTEGER) {
        out = o.via.u64;
    } else if (o.type == msgpack::type::FLOAT64 || o.type == msgpack::type::FLOAT32) {
        if (o.via.f64 >= 0) out = static_cast<std::uint64_t>(o.via.f64);
    }
}

void take_flag(const msgpack::object& o, bool& out) {
    if (o.type == msgpack::type::BOOLEAN) {
        out = o.via.boolean;
    } else if (o.type == msgpack::type::POSITIVE_INTEGER) {
        out = o.via.u64 != 0;
    }
}

// A payload (bin holding msgpack) as JSON; one that is not msgpack as {"$bin": ...}.
void take_payload(const msgpack::object& o, std::optional<std::string>& out) {
    if (o.type != msgpack::type::BIN) return;
    try {
        out = msgpack_to_json(std::string_view(o.via.bin.ptr, o.via.bin.size));
    } catch (const json_conversion_error&) {
        msgpack::sbuffer raw;
        msgpack::pack(raw, o);
        try {
            out = msgpack_to_json(std::string_view(raw.data(), raw.size()));
        } catch (const json_conversion_error&) {
            out = "null";
        }
    }
}

}  // namespace

std::optional<event_fields> decode_event(const cluster_event& event) {
    msgpack::object_handle handle;
    try {
        handle = msgpack::unpack(event.msgpack.data(), event.msgpack.size());
    } catch (const std::exception&) {
        return std::nullopt;
    }
    const msgpack::object& map = handle.get();
    if (map.type != msgpack::type::MAP) return std::nullopt;
    event_fields e;
    e.type = event.type;
    e.timestamp = event.timestamp;
    e.clock = event.clock;
    for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
        const msgpack::object_kv& kv = map.via.map.ptr[i];
        const std::string_view k = key_of(kv.key);
        const msgpack::object& v = kv.val;
        if (k == "uuid") {
            take_text(v, e.uuid);
        } else if (k == "name") {
            take_text(v, e.name);
        } else if (k == "queue") {
            take_text(v, e.queue);
        } else if (k == "hostname") {
            take_text(v, e.hostname);
        } else if (k == "client") {
            take_text(v, e.client);
        } else if (k == "exception") {
            take_text(v, e.exception);
        } else if (k == "exception_type") {
            take_text(v, e.exception_type);
        } else if (k == "traceback") {
            take_text(v, e.traceback);
        } else if (k == "reason") {
            take_text(v, e.reason);
        } else if (k == "message") {
            take_text(v, e.message);
        } else if (k == "sw_ident") {
            take_text(v, e.sw_ident);
        } else if (k == "sw_ver") {
            take_text(v, e.sw_ver);
        } else if (k == "args") {
            take_payload(v, e.args);
        } else if (k == "result") {
            take_payload(v, e.result);
        } else if (k == "args_bytes") {
            take_count(v, e.args_bytes);
        } else if (k == "result_bytes") {
            take_count(v, e.result_bytes);
        } else if (k == "runtime") {
            take_number(v, e.runtime);
        } else if (k == "eta") {
            take_number(v, e.eta);
        } else if (k == "countdown") {
            take_number(v, e.countdown);
        } else if (k == "expires") {
            take_number(v, e.expires);
        } else if (k == "load") {
            take_number(v, e.load);
        } else if (k == "freq") {
            take_number(v, e.freq);
        } else if (k == "attempt") {
            take_count(v, e.attempt);
        } else if (k == "retries") {
            take_count(v, e.retries);
        } else if (k == "priority") {
            take_count(v, e.priority);
        } else if (k == "deaths") {
            take_count(v, e.deaths);
        } else if (k == "active") {
            take_count(v, e.active);
        } else if (k == "processed") {
            take_count(v, e.processed);
        } else if (k == "slots") {
            take_count(v, e.slots);
        } else if (k == "terminated") {
            take_flag(v, e.terminated);
        } else if (k == "expired") {
            take_flag(v, e.expired);
        } else if (k == "lost") {
            take_flag(v, e.lost);
        }
    }
    return e;
}

}  // namespace shoal::dashboard
