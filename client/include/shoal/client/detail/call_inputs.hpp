#pragma once
// Futures as arguments (PROTOCOL.md section 6.5): a call's arguments where some are the
// futures of other tasks. Each future is packed as nil and listed as an input; the broker
// puts its result in that place before the task runs. Whether a future fits its parameter is
// decided here, at compile time: remote_future<T> where T is declared (or another integer for
// an integer, another floating-point type for one: the msgpack is the same), remote_group<T>
// where std::vector<T> is.

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <msgpack.hpp>

#include "shoal/client/detail/call_codec.hpp"
#include "shoal/client/remote_future.hpp"
#include "shoal/client/remote_group.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::detail {

template <class T>
struct remote_input : std::false_type {};
template <class T>
struct remote_input<remote_future<T>> : std::true_type {
    using type = T;
};
template <class T>
struct remote_input<remote_group<T>> : std::true_type {
    using type = std::vector<T>;
};

template <class Given>
inline constexpr bool is_remote_input_v = remote_input<std::remove_cvref_t<Given>>::value;

template <class Produced, class Param>
constexpr bool same_msgpack_kind() {
    if constexpr (std::is_same_v<Produced, Param>) {
        return true;
    } else if constexpr (std::is_integral_v<Produced> && std::is_integral_v<Param>) {
        return !std::is_same_v<Produced, bool> && !std::is_same_v<Param, bool>;
    } else {
        return std::is_floating_point_v<Produced> && std::is_floating_point_v<Param>;
    }
}

template <class Param, class Given>
constexpr bool fits_argument() {
    using G = std::remove_cvref_t<Given>;
    if constexpr (remote_input<G>::value) {
        return same_msgpack_kind<typename remote_input<G>::type, Param>();
    } else {
        return std::is_convertible_v<const Given&, Param>;
    }
}

template <class Param, class Given>
void pack_argument(msgpack::packer<string_stream>& packer, std::vector<proto::task_input>& inputs,
                   std::uint32_t index, const Given& given) {
    using G = std::remove_cvref_t<Given>;
    if constexpr (is_remote_input_v<G>) {
        packer.pack_nil();
        if constexpr (std::is_same_v<G, remote_future<typename remote_input<G>::type>>) {
            inputs.push_back(proto::task_input{index, {given.id()}, false});
        } else {
            inputs.push_back(proto::task_input{index, given.ids(), true});
        }
    } else {
        packer.pack(static_cast<Param>(given));
    }
}

// The argument array, with a nil and an input for each future.
template <class... Params, class... Given>
std::string pack_call_with_inputs(std::vector<proto::task_input>& inputs, const Given&... given) {
    static_assert(sizeof...(Params) == sizeof...(Given));
    std::string out;
    string_stream stream{&out};
    msgpack::packer<string_stream> packer(stream);
    packer.pack_array(static_cast<std::uint32_t>(sizeof...(Params)));
    std::uint32_t index = 0;
    (pack_argument<Params>(packer, inputs, index++, given), ...);
    return out;
}

}  // namespace shoal::detail
