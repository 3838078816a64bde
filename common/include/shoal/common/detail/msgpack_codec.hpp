#pragma once
// msgpack encoding of call arguments (an array) and results, shared by the function registry
// (unpacks arguments, packs results) and the callers (pack arguments, unpack results).
// Errors: malformed input or a type mismatch throws task_error with type
// argument_error_type (for arguments) or result_error_type (for results).

#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <msgpack.hpp>

#include "shoal/common/detail/msgpack_type_names.hpp"
#include "shoal/common/errors.hpp"

namespace shoal::detail {

inline constexpr const char* argument_error_type = "shoal::argument_error";
inline constexpr const char* result_error_type = "shoal::result_error";

// A msgpack output stream appending to a std::string (no sbuffer's 8 KiB first chunk).
struct string_stream {
    std::string* out;
    void write(const char* data, std::size_t size) { out->append(data, size); }
};

inline std::string to_string(const msgpack::sbuffer& buffer) {
    return std::string(buffer.data(), buffer.size());
}

template <class... Args>
std::string pack_arguments(const Args&... args) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> packer(buffer);
    packer.pack_array(static_cast<std::uint32_t>(sizeof...(Args)));
    (packer.pack(args), ...);
    return to_string(buffer);
}

template <class R>
std::string pack_result(const R& value) {
    msgpack::sbuffer buffer;
    msgpack::pack(buffer, value);
    return to_string(buffer);
}

inline std::string pack_nil() {
    msgpack::sbuffer buffer;
    msgpack::pack(buffer, msgpack::type::nil_t());
    return to_string(buffer);
}

// Decodes one msgpack object or throws task_error(error_type, ...).
inline msgpack::object_handle unpack_object(std::string_view bytes, const char* error_type,
                                            std::string_view what) {
    try {
        return msgpack::unpack(bytes.data(), bytes.size());
    } catch (const std::exception& e) {
        throw task_error(error_type, std::string(what) + " is not valid msgpack: " + e.what());
    }
}

template <class Tuple, std::size_t... I>
Tuple convert_elements(const msgpack::object_array& array, std::string_view function,
                       std::index_sequence<I...>) {
    Tuple values;
    [[maybe_unused]] const auto convert_one = [&](std::size_t index, auto& into) {
        try {
            array.ptr[index].convert(into);
        } catch (const std::exception&) {
            // msgpack says only std::bad_cast: name the argument (from 1, as typed), the
            // declared type and what came, e.g. "argument 2 of 'add': expected int, got string".
            using declared = std::remove_reference_t<decltype(into)>;
            throw task_error(argument_error_type, "argument " + std::to_string(index + 1) +
                                                      " of '" + std::string(function) + "': " +
                                                      mismatch_text<declared>(array.ptr[index]));
        }
    };
    (convert_one(I, std::get<I>(values)), ...);
    return values;
}

// Unpacks a msgpack array into the decayed Args, checking arity and each element's type.
template <class... Args>
std::tuple<std::decay_t<Args>...> unpack_arguments(std::string_view bytes,
                                                   std::string_view function) {
    const auto handle = unpack_object(bytes, argument_error_type, "the argument list");
    const msgpack::object& object = handle.get();
    if (object.type != msgpack::type::ARRAY) {
        throw task_error(argument_error_type,
                         "arguments of '" + std::string(function) + "' must be a msgpack array");
    }
    if (object.via.array.size != sizeof...(Args)) {
        throw task_error(argument_error_type, "'" + std::string(function) + "' takes " +
                                                  std::to_string(sizeof...(Args)) +
                                                  " argument(s), got " +
                                                  std::to_string(object.via.array.size));
    }
    return convert_elements<std::tuple<std::decay_t<Args>...>>(object.via.array, function,
                                                               std::index_sequence_for<Args...>{});
}

template <class R>
R unpack_result(std::string_view bytes) {
    const auto handle = unpack_object(bytes, result_error_type, "the result");
    try {
        return handle.get().as<R>();
    } catch (const std::exception& e) {
        throw task_error(result_error_type,
                         std::string("the result has the wrong type: ") + e.what());
    }
}

}  // namespace shoal::detail
