#include "shoal/client/cluster_event.hpp"

#include <msgpack.hpp>

#include "shoal/client/json_msgpack.hpp"

namespace shoal {

namespace {

// The value of `key` in an event map, or nullptr.
const msgpack::object* find_field(const msgpack::object& map, std::string_view key) {
    if (map.type != msgpack::type::MAP) return nullptr;
    for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
        const auto& kv = map.via.map.ptr[i];
        if (kv.key.type == msgpack::type::STR &&
            std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == key) {
            return &kv.val;
        }
    }
    return nullptr;
}

std::optional<double> as_number(const msgpack::object* o) {
    if (o == nullptr) return std::nullopt;
    switch (o->type) {
        case msgpack::type::POSITIVE_INTEGER:
            return static_cast<double>(o->via.u64);
        case msgpack::type::NEGATIVE_INTEGER:
            return static_cast<double>(o->via.i64);
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64:
            return o->via.f64;
        default:
            return std::nullopt;
    }
}

msgpack::object_handle unpack_event(std::string_view bytes) {
    try {
        return msgpack::unpack(bytes.data(), bytes.size());
    } catch (const std::exception& e) {
        throw json_conversion_error(std::string("event: not msgpack: ") + e.what());
    }
}

// A bin field holding msgpack bytes (args, result) as JSON; its base64 if it is not msgpack.
std::string bin_as_json(const msgpack::object& o) {
    const std::string_view bytes(o.via.bin.ptr, o.via.bin.size);
    try {
        return msgpack_to_json(bytes);
    } catch (const json_conversion_error&) {
        msgpack::sbuffer raw;
        msgpack::pack(raw, o);
        return msgpack_to_json(std::string_view(raw.data(), raw.size()));
    }
}

}  // namespace

cluster_event cluster_event::from_msgpack(std::string msgpack_bytes) {
    const auto handle = unpack_event(msgpack_bytes);
    const msgpack::object& map = handle.get();
    if (map.type != msgpack::type::MAP) throw json_conversion_error("event: not a map");
    cluster_event e;
    if (const auto* type = find_field(map, "type"); type && type->type == msgpack::type::STR) {
        e.type.assign(type->via.str.ptr, type->via.str.size);
    }
    e.timestamp = as_number(find_field(map, "timestamp")).value_or(0);
    e.clock = static_cast<std::uint64_t>(as_number(find_field(map, "clock")).value_or(0));
    e.msgpack = std::move(msgpack_bytes);
    return e;
}

std::string cluster_event::to_json(int indent) const {
    return msgpack_map_to_json(msgpack, indent);
}

std::optional<std::string> cluster_event::text(std::string_view key) const {
    const auto handle = unpack_event(msgpack);
    const msgpack::object* o = find_field(handle.get(), key);
    if (o == nullptr || o->type != msgpack::type::STR) return std::nullopt;
    return std::string(o->via.str.ptr, o->via.str.size);
}

std::optional<double> cluster_event::number(std::string_view key) const {
    const auto handle = unpack_event(msgpack);
    return as_number(find_field(handle.get(), key));
}

std::optional<std::string> cluster_event::payload_json(std::string_view key) const {
    const auto handle = unpack_event(msgpack);
    const msgpack::object* o = find_field(handle.get(), key);
    if (o == nullptr || o->type != msgpack::type::BIN) return std::nullopt;
    return bin_as_json(*o);
}

}  // namespace shoal
