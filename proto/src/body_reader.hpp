#pragma once
// Private to the codec: typed reads of a decoded msgpack body that throw decode_error
// (bad_body) naming the field, and the writer that packs straight into a std::string.

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <msgpack.hpp>

#include "shoal/proto/bounded_unpack.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal::proto::detail {

[[noreturn]] inline void bad_body(std::string_view field, std::string_view why) {
    throw decode_error(decode_errc::bad_body, std::string(field) + ": " + std::string(why));
}

// An array with at least `min` elements (more are allowed: later minor versions append).
inline const msgpack::object_array& read_array(const msgpack::object& o, std::size_t min,
                                               std::string_view field) {
    if (o.type != msgpack::type::ARRAY) bad_body(field, "not an array");
    if (o.via.array.size < min) bad_body(field, "array too short");
    return o.via.array;
}

inline std::string_view read_str_view(const msgpack::object& o, std::size_t max,
                                      std::string_view field) {
    if (o.type != msgpack::type::STR) bad_body(field, "not a str");
    if (o.via.str.size > max) bad_body(field, "str too long");
    return {o.via.str.ptr, o.via.str.size};
}

inline std::string read_str(const msgpack::object& o, std::size_t max, std::string_view field) {
    return std::string(read_str_view(o, max, field));
}

inline std::string read_bin(const msgpack::object& o, std::string_view field) {
    if (o.type != msgpack::type::BIN) bad_body(field, "not a bin");
    return std::string(o.via.bin.ptr, o.via.bin.size);
}

inline std::uint64_t read_uint(const msgpack::object& o, std::string_view field) {
    if (o.type != msgpack::type::POSITIVE_INTEGER) bad_body(field, "not an unsigned integer");
    return o.via.u64;
}

inline std::uint32_t read_u32(const msgpack::object& o, std::string_view field) {
    const std::uint64_t v = read_uint(o, field);
    if (v > UINT32_MAX) bad_body(field, "out of range");
    return static_cast<std::uint32_t>(v);
}

inline std::int64_t read_int(const msgpack::object& o, std::string_view field) {
    if (o.type == msgpack::type::POSITIVE_INTEGER) {
        if (o.via.u64 > static_cast<std::uint64_t>(INT64_MAX)) bad_body(field, "out of range");
        return static_cast<std::int64_t>(o.via.u64);
    }
    if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
    bad_body(field, "not an integer");
}

inline task_id read_task_id(const msgpack::object& o, std::string_view field) {
    if (o.type != msgpack::type::BIN || o.via.bin.size != 16) bad_body(field, "not a 16-byte bin");
    task_id id;
    std::memcpy(id.bytes.data(), o.via.bin.ptr, 16);
    return id;
}

inline bool is_nil(const msgpack::object& o) noexcept { return o.type == msgpack::type::NIL; }

// msgpack::packer's buffer: appends to a std::string (no intermediate sbuffer copy).
struct string_writer {
    std::string& out;
    void write(const char* data, std::size_t size) { out.append(data, size); }
};
using string_packer = msgpack::packer<string_writer>;

inline void pack_str(string_packer& p, std::string_view s) {
    p.pack_str(static_cast<std::uint32_t>(s.size()));
    p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

inline void pack_bin(string_packer& p, std::string_view b) {
    p.pack_bin(static_cast<std::uint32_t>(b.size()));
    p.pack_bin_body(b.data(), static_cast<std::uint32_t>(b.size()));
}

inline void pack_task_id(string_packer& p, const task_id& id) { pack_bin(p, id.as_bytes()); }

// A list on the wire: the array header, then pack_one(element) for each element.
template <class Range, class F>
void pack_list(string_packer& p, const Range& items, F&& pack_one) {
    p.pack_array(static_cast<std::uint32_t>(std::size(items)));
    for (const auto& item : items) pack_one(item);
}

// A list of any length, read_one(element) for each element (which throws bad_body itself).
template <class F>
auto read_list(const msgpack::object& o, std::string_view field, F&& read_one) {
    const auto& a = read_array(o, 0, field);
    std::vector<std::decay_t<decltype(read_one(a.ptr[0]))>> out;
    out.reserve(a.size);
    for (std::uint32_t i = 0; i < a.size; ++i) out.push_back(read_one(a.ptr[i]));
    return out;
}

}  // namespace shoal::proto::detail
