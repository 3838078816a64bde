// JSON <-> msgpack (json_msgpack.hpp). JSON is parsed and written by nlohmann_json; msgpack is
// read through proto's bounded decoder (limits checked before anything is allocated) and
// walked here, because nlohmann's own from_msgpack refuses maps with non-string keys, which
// C++ results (std::map<int, ...>) have.

#include "shoal/client/json_msgpack.hpp"

#include <cmath>
#include <cstdint>
#include <string>

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include "shoal/proto/bounded_unpack.hpp"

namespace shoal {

namespace {

using json = nlohmann::json;

json parse_json(std::string_view text) {
    // The callback sees every value's depth as it is parsed: refuse deep input before it is
    // built (nlohmann's own recursion elsewhere would otherwise follow it).
    // A container's start is reported at its parent's depth: count the container itself, so
    // that 65 nested empty arrays are refused here as msgpack_to_json refuses them (found by
    // tests/fuzz).
    const json::parser_callback_t depth_guard = [](int depth, json::parse_event_t event, json&) {
        const bool opens =
            event == json::parse_event_t::array_start || event == json::parse_event_t::object_start;
        if (depth + (opens ? 1 : 0) > static_cast<int>(max_json_depth)) {
            throw json_conversion_error("JSON nested deeper than " +
                                        std::to_string(max_json_depth));
        }
        return true;
    };
    try {
        return json::parse(text.begin(), text.end(), depth_guard);
    } catch (const json::exception& e) {
        throw json_conversion_error(std::string("not JSON: ") + e.what());
    }
}

std::string base64(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                       (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                       static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (i < bytes.size()) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        const bool two = i + 1 < bytes.size();
        if (two) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += two ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

// The longest non-string map key shown as JSON text (see to_json).
constexpr std::size_t max_key_text_bytes = std::size_t{64} * 1024;

std::string dump(const json& value, int indent) {
    return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

// Depth is bounded by the decoder's max_depth, so the recursion is too.
json to_json(const msgpack::object& o) {
    switch (o.type) {
        case msgpack::type::NIL:
            return nullptr;
        case msgpack::type::BOOLEAN:
            return o.via.boolean;
        case msgpack::type::POSITIVE_INTEGER:
            return o.via.u64;
        case msgpack::type::NEGATIVE_INTEGER:
            return o.via.i64;
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64:
            if (!std::isfinite(o.via.f64)) return nullptr;
            return o.via.f64;
        case msgpack::type::STR:
            return std::string(o.via.str.ptr, o.via.str.size);
        case msgpack::type::BIN:
            return json{{"$bin", base64({o.via.bin.ptr, o.via.bin.size})}};
        case msgpack::type::EXT:
            return json{{"$ext", static_cast<int>(o.via.ext.type())},
                        {"$data", base64({o.via.ext.data(), o.via.ext.size})}};
        case msgpack::type::ARRAY: {
            json out = json::array();
            for (std::uint32_t i = 0; i < o.via.array.size; ++i)
                out.push_back(to_json(o.via.array.ptr[i]));
            return out;
        }
        case msgpack::type::MAP: {
            json out = json::object();
            for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
                const auto& kv = o.via.map.ptr[i];
                std::string key = kv.key.type == msgpack::type::STR
                                      ? std::string(kv.key.via.str.ptr, kv.key.via.str.size)
                                      : dump(to_json(kv.key), -1);
                // A key written as JSON text is escaped again by every map key it is nested in, so
                // its length doubles a level: a few bytes of maps keyed by maps would take 2^64.
                if (key.size() > max_key_text_bytes) {
                    throw json_conversion_error("a map key shown as JSON text would exceed " +
                                                std::to_string(max_key_text_bytes) + " bytes");
                }
                out[std::move(key)] = to_json(kv.val);
            }
            return out;
        }
    }
    throw json_conversion_error("unknown msgpack type");
}

std::string pack(const json& value) {
    try {
        std::string out;
        json::to_msgpack(value, nlohmann::detail::output_adapter<char>(out));
        return out;
    } catch (const json::exception& e) {
        throw json_conversion_error(std::string("cannot convert to msgpack: ") + e.what());
    }
}

}  // namespace

std::string json_to_msgpack(std::string_view json_text) { return pack(parse_json(json_text)); }

std::string json_args_to_msgpack(std::span<const std::string> json_values) {
    json args = json::array();
    for (std::size_t i = 0; i < json_values.size(); ++i) {
        try {
            args.push_back(parse_json(json_values[i]));
        } catch (const json_conversion_error& e) {
            throw json_conversion_error("argument " + std::to_string(i + 1) + " (" +
                                        std::string(json_values[i]) + "): " + e.what());
        }
    }
    return pack(args);
}

namespace {

// What msgpack_bytes may claim at most: nothing beyond its own size, nested max_json_depth.
proto::decode_limits limits_for(std::string_view msgpack_bytes) {
    proto::decode_limits limits;
    limits.max_depth = max_json_depth;
    limits.max_bytes = msgpack_bytes.size();
    limits.max_elements = msgpack_bytes.size();
    limits.max_str_bytes = msgpack_bytes.size();
    limits.max_bin_bytes = msgpack_bytes.size();
    return limits;
}

}  // namespace

std::string msgpack_to_json(std::string_view msgpack_bytes, int indent) {
    try {
        const auto handle = proto::unpack_bounded(msgpack_bytes, limits_for(msgpack_bytes));
        return dump(to_json(handle.get()), indent);
    } catch (const proto::decode_error& e) {
        throw json_conversion_error(std::string("not msgpack: ") + e.what());
    }
}

std::string msgpack_map_to_json(std::string_view msgpack_bytes, int indent) {
    msgpack::object_handle handle;
    try {
        handle = proto::unpack_bounded(msgpack_bytes, limits_for(msgpack_bytes));
    } catch (const proto::decode_error& e) {
        throw json_conversion_error(std::string("not msgpack: ") + e.what());
    }
    const msgpack::object& map = handle.get();
    if (map.type != msgpack::type::MAP) throw json_conversion_error("not a msgpack map");
    // In the map's own order (an event's type, timestamp and clock first).
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
        const auto& kv = map.via.map.ptr[i];
        std::string key = kv.key.type == msgpack::type::STR
                              ? std::string(kv.key.via.str.ptr, kv.key.via.str.size)
                              : dump(to_json(kv.key), -1);
        if (kv.val.type != msgpack::type::BIN) {
            out[std::move(key)] = to_json(kv.val);
            continue;
        }
        const std::string_view inner(kv.val.via.bin.ptr, kv.val.via.bin.size);
        try {
            const auto payload = proto::unpack_bounded(inner, limits_for(inner));
            out[std::move(key)] = to_json(payload.get());
        } catch (const proto::decode_error&) {
            out[std::move(key)] = to_json(kv.val);  // not msgpack: its bytes as they are
        }
    }
    return out.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace shoal
