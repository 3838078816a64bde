#pragma once
// Names for the argument errors of the msgpack codec (msgpack_codec.hpp): what a C++ parameter
// type expects and what a msgpack value is, in the words of the JSON a `shoal` user typed, so
// that a wrong argument reads "argument 2 of 'add': expected int, got string" instead of
// msgpack's bare std::bad_cast.

#include <array>
#include <cstdint>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <msgpack.hpp>

namespace shoal::detail {

template <class T>
struct expected_type_name;

template <class T>
std::string expected_name() {
    return expected_type_name<std::remove_cvref_t<T>>::get();
}

template <class T>
struct expected_type_name {
    static std::string get() {
        if constexpr (std::is_same_v<T, bool>) {
            return "bool";
        } else if constexpr (std::is_integral_v<T>) {
            return "int";
        } else if constexpr (std::is_floating_point_v<T>) {
            return "float";
        } else if constexpr (std::is_convertible_v<T, std::string_view>) {
            return "string";
        } else {
            return "a value of the task's declared type";
        }
    }
};

template <class T, class... Rest>
struct sequence_name {
    static std::string get() { return "array of " + expected_name<T>(); }
};
template <class T, class A>
struct expected_type_name<std::vector<T, A>> : sequence_name<T> {};
template <class A>
struct expected_type_name<std::vector<char, A>> {
    static std::string get() { return "binary"; }
};
template <class T, class A>
struct expected_type_name<std::deque<T, A>> : sequence_name<T> {};
template <class T, class A>
struct expected_type_name<std::list<T, A>> : sequence_name<T> {};
template <class T, std::size_t N>
struct expected_type_name<std::array<T, N>> {
    static std::string get() { return "array of " + std::to_string(N) + " " + expected_name<T>(); }
};
template <class T, class... More>
struct expected_type_name<std::set<T, More...>> : sequence_name<T> {};
template <class T, class... More>
struct expected_type_name<std::unordered_set<T, More...>> : sequence_name<T> {};

template <class K, class V>
struct mapping_name {
    static std::string get() {
        return "map of " + expected_name<K>() + " to " + expected_name<V>();
    }
};
template <class K, class V, class... More>
struct expected_type_name<std::map<K, V, More...>> : mapping_name<K, V> {};
template <class K, class V, class... More>
struct expected_type_name<std::unordered_map<K, V, More...>> : mapping_name<K, V> {};

template <class T>
struct expected_type_name<std::optional<T>> {
    static std::string get() { return expected_name<T>() + " or null"; }
};

template <class... T>
struct expected_type_name<std::tuple<T...>> {
    static std::string get() {
        std::string out = "array [";
        std::string_view separator;
        ((out += separator, out += expected_name<T>(), separator = ", "), ...);
        return out + "]";
    }
};
template <class A, class B>
struct expected_type_name<std::pair<A, B>> : expected_type_name<std::tuple<A, B>> {};

template <>
struct expected_type_name<msgpack::object> {
    static std::string get() { return "any value"; }
};

// The type of one msgpack value, without looking inside (JSON's words: null, int, ...).
inline std::string msgpack_kind(const msgpack::object& o) {
    switch (o.type) {
        case msgpack::type::NIL:
            return "null";
        case msgpack::type::BOOLEAN:
            return "bool";
        case msgpack::type::POSITIVE_INTEGER:
        case msgpack::type::NEGATIVE_INTEGER:
            return "int";
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64:
            return "float";
        case msgpack::type::STR:
            return "string";
        case msgpack::type::BIN:
            return "binary";
        case msgpack::type::ARRAY:
            return "array";
        case msgpack::type::MAP:
            return "map";
        case msgpack::type::EXT:
            return "ext";
    }
    return "unknown";
}

// What a msgpack value is: its kind, an array's element kind when they all share one, an
// integer's value (so that "out of range" can be seen).
inline std::string describe_msgpack(const msgpack::object& o) {
    if (o.type == msgpack::type::POSITIVE_INTEGER) return "int " + std::to_string(o.via.u64);
    if (o.type == msgpack::type::NEGATIVE_INTEGER) return "int " + std::to_string(o.via.i64);
    if (o.type == msgpack::type::ARRAY) {
        const auto& a = o.via.array;
        if (a.size == 0) return "empty array";
        const std::string first = msgpack_kind(a.ptr[0]);
        for (std::uint32_t i = 1; i < a.size; ++i) {
            if (msgpack_kind(a.ptr[i]) != first) return "array of mixed values";
        }
        return "array of " + first;
    }
    return msgpack_kind(o);
}

// "expected int, got string": why `o` does not convert to T.
template <class T>
std::string mismatch_text(const msgpack::object& o) {
    using U = std::remove_cvref_t<T>;
    std::string expected = expected_name<U>();
    if constexpr (std::is_integral_v<U> && !std::is_same_v<U, bool>) {
        const bool integer =
            o.type == msgpack::type::POSITIVE_INTEGER || o.type == msgpack::type::NEGATIVE_INTEGER;
        if (integer) {
            // The only way an integer fails to convert to an integer type: out of its range.
            expected += " from " + std::to_string(std::numeric_limits<U>::min()) + " to " +
                        std::to_string(std::numeric_limits<U>::max());
        }
    }
    std::string got = describe_msgpack(o);
    if (got == expected) got += ", one of which does not fit";
    return "expected " + expected + ", got " + got;
}

}  // namespace shoal::detail
