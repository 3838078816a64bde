#pragma once
// The msgpack of a call's arguments and of its result on the client's hot paths. Same bytes
// and errors as common's detail/msgpack_codec.hpp (pack_arguments, unpack_result), minus its
// allocations: msgpack's sbuffer and zone each start with an 8 KiB malloc per call, which at
// hundreds of thousands of tasks a second is most of the cost. Arguments are packed straight
// into a std::string (short ones stay in its inline buffer); results are unpacked in a zone
// that each thread reuses.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/common/errors.hpp"

namespace shoal::detail {

template <class... Args>
std::string pack_call_arguments(const Args&... args) {
    std::string out;
    string_stream stream{&out};
    msgpack::packer<string_stream> packer(stream);
    packer.pack_array(static_cast<std::uint32_t>(sizeof...(Args)));
    (packer.pack(args), ...);
    return out;
}

template <class R>
R unpack_call_result(std::string_view bytes) {
    // Reused by every result this thread decodes; clear() keeps one chunk for the next.
    thread_local msgpack::zone zone;
    zone.clear();
    msgpack::object object;
    try {
        std::size_t offset = 0;
        object = msgpack::unpack(zone, bytes.data(), bytes.size(), offset);
    } catch (const std::exception& e) {
        throw task_error(result_error_type,
                         std::string("the result is not valid msgpack: ") + e.what());
    }
    try {
        return object.as<R>();
    } catch (const std::exception& e) {
        throw task_error(result_error_type,
                         std::string("the result has the wrong type: ") + e.what());
    }
}

}  // namespace shoal::detail
