#include "shoal/proto/argument_splice.hpp"

#include <algorithm>
#include <vector>

namespace shoal::proto {

namespace {

[[noreturn]] void fail(decode_errc code, const std::string& why) { throw decode_error(code, why); }

// The big-endian unsigned of `n` bytes at `at` (the caller checked they are there).
std::uint64_t read_be(std::string_view bytes, std::size_t at, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
}

// What one value's header says: how many header bytes, how many payload bytes follow them,
// and how many values it contains (a container's elements; a map's are key and value each).
struct header {
    std::size_t head = 1;
    std::uint64_t payload = 0;
    std::uint64_t children = 0;
};

header read_header(std::string_view bytes, std::size_t at) {
    const auto need = [&](std::size_t n) {
        if (bytes.size() - at < n) fail(decode_errc::truncated, "the bytes end inside a header");
    };
    need(1);
    const auto b = static_cast<unsigned char>(bytes[at]);
    if (b <= 0x7f || b >= 0xe0) return {};                         // fixints
    if (b <= 0x8f) return {1, 0, std::uint64_t{2} * (b & 0x0fu)};  // fixmap
    if (b <= 0x9f) return {1, 0, b & 0x0fu};                       // fixarray
    if (b <= 0xbf) return {1, b & 0x1fu, 0};                       // fixstr
    switch (b) {
        case 0xc0:  // nil
        case 0xc2:  // false
        case 0xc3:  // true
            return {};
        case 0xc1:
            fail(decode_errc::malformed, "the reserved byte 0xc1");
        case 0xc4:  // bin8, bin16, bin32
        case 0xc5:
        case 0xc6:
        case 0xd9:  // str8, str16, str32
        case 0xda:
        case 0xdb: {
            const std::size_t n = (b == 0xc4 || b == 0xd9) ? 1 : (b == 0xc5 || b == 0xda) ? 2 : 4;
            need(1 + n);
            return {1 + n, read_be(bytes, at + 1, n), 0};
        }
        case 0xc7:  // ext8, ext16, ext32: a length, a type byte, the data
        case 0xc8:
        case 0xc9: {
            const std::size_t n = b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4;
            need(2 + n);
            return {2 + n, read_be(bytes, at + 1, n), 0};
        }
        case 0xca:
            return {1, 4, 0};  // float32
        case 0xcb:
            return {1, 8, 0};  // float64
        case 0xcc:
        case 0xd0:
            return {1, 1, 0};
        case 0xcd:
        case 0xd1:
            return {1, 2, 0};
        case 0xce:
        case 0xd2:
            return {1, 4, 0};
        case 0xcf:
        case 0xd3:
            return {1, 8, 0};
        case 0xd4:  // fixext 1, 2, 4, 8, 16: a type byte, the data
            return {2, 1, 0};
        case 0xd5:
            return {2, 2, 0};
        case 0xd6:
            return {2, 4, 0};
        case 0xd7:
            return {2, 8, 0};
        case 0xd8:
            return {2, 16, 0};
        case 0xdc:  // array16, array32
        case 0xdd: {
            const std::size_t n = b == 0xdc ? 2 : 4;
            need(1 + n);
            return {1 + n, 0, read_be(bytes, at + 1, n)};
        }
        case 0xde:  // map16, map32
        case 0xdf: {
            const std::size_t n = b == 0xde ? 2 : 4;
            need(1 + n);
            return {1 + n, 0, 2 * read_be(bytes, at + 1, n)};
        }
        default:
            fail(decode_errc::malformed, "not a msgpack type byte");
    }
}

}  // namespace

std::size_t skip_msgpack_value(std::string_view bytes, std::size_t at) {
    // Values still to walk: each takes at least one byte, so a header claiming more than the
    // bytes left is refused before anything is counted past them.
    std::uint64_t pending = 1;
    while (pending > 0) {
        if (at >= bytes.size()) fail(decode_errc::truncated, "the bytes end inside a value");
        const header h = read_header(bytes, at);
        const std::size_t left = bytes.size() - at;
        if (h.head > left || h.payload > left - h.head) {
            fail(decode_errc::truncated, "a str, bin or ext longer than the bytes left");
        }
        at += h.head + static_cast<std::size_t>(h.payload);
        --pending;
        if (h.children > bytes.size() - at) {
            fail(decode_errc::truncated, "a container claiming more elements than bytes left");
        }
        pending += h.children;
    }
    return at;
}

namespace {

header array_header(std::string_view array) {
    if (array.empty()) fail(decode_errc::bad_body, "arguments: empty, not an array");
    const auto first = static_cast<unsigned char>(array[0]);
    const bool is_array = (first >= 0x90 && first <= 0x9f) || first == 0xdc || first == 0xdd;
    if (!is_array) fail(decode_errc::bad_body, "arguments: not a msgpack array");
    return read_header(array, 0);
}

}  // namespace

std::uint64_t count_arguments(std::string_view array) { return array_header(array).children; }

std::string pack_array_of(std::span<const std::string_view> values) {
    std::size_t bytes = 5;
    for (const std::string_view v : values) bytes += v.size();
    std::string out;
    out.reserve(bytes);
    const std::size_t n = values.size();
    if (n < 16) {
        out.push_back(static_cast<char>(0x90 | n));
    } else if (n <= 0xffff) {
        out.push_back(static_cast<char>(0xdc));
        out.push_back(static_cast<char>(n >> 8));
        out.push_back(static_cast<char>(n & 0xff));
    } else {
        out.push_back(static_cast<char>(0xdd));
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.push_back(static_cast<char>((n >> shift) & 0xff));
        }
    }
    for (const std::string_view v : values) out.append(v);
    return out;
}

std::string splice_arguments(std::string_view array,
                             std::span<const argument_replacement> replacements) {
    const header h = array_header(array);
    if (h.children > array.size()) {
        fail(decode_errc::truncated, "arguments: more elements than bytes");
    }
    std::vector<const argument_replacement*> by_index(static_cast<std::size_t>(h.children),
                                                      nullptr);
    for (const argument_replacement& r : replacements) {
        if (r.index >= h.children) {
            fail(decode_errc::bad_body, "argument " + std::to_string(r.index) +
                                            ": past the last of " + std::to_string(h.children));
        }
        if (by_index[r.index] != nullptr) {
            fail(decode_errc::bad_body, "argument " + std::to_string(r.index) + ": listed twice");
        }
        if (r.value.empty() || skip_msgpack_value(r.value, 0) != r.value.size()) {
            fail(decode_errc::bad_body, "argument " + std::to_string(r.index) +
                                            ": the new value is not one msgpack value");
        }
        by_index[r.index] = &r;
    }
    std::string out;
    std::size_t grown = array.size();
    for (const argument_replacement& r : replacements) grown += r.value.size();
    out.reserve(grown);
    out.append(array.substr(0, h.head));
    std::size_t at = h.head;
    for (const argument_replacement* replacement : by_index) {
        const std::size_t end = skip_msgpack_value(array, at);
        if (replacement != nullptr) {
            out.append(replacement->value);
        } else {
            out.append(array.substr(at, end - at));
        }
        at = end;
    }
    if (at != array.size()) fail(decode_errc::trailing_bytes, "arguments: bytes after the array");
    return out;
}

}  // namespace shoal::proto
