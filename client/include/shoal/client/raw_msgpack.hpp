#pragma once
// raw_msgpack: a task result kept as the msgpack bytes the worker produced, for the untyped
// path (client::submit_raw, fetch<raw_msgpack>): tools and other languages decide later how
// to read it.
//
//   shoal::raw_msgpack r = client.submit_raw("add", args).get();
//   int sum = r.as<int>();                    // or r.unpack().get() for a msgpack::object

#include <string>

#include <msgpack.hpp>

#include "shoal/common/detail/msgpack_codec.hpp"

namespace shoal {

struct raw_msgpack {
    std::string bytes;

    // Decodes the bytes; throws task_error (type "shoal::result_error") if they are not msgpack.
    msgpack::object_handle unpack() const {
        return detail::unpack_object(bytes, detail::result_error_type, "the result");
    }
    // Converts to T; throws task_error (type "shoal::result_error") on a mismatch.
    template <class T>
    T as() const {
        return detail::unpack_result<T>(bytes);
    }

    friend bool operator==(const raw_msgpack&, const raw_msgpack&) = default;
};

}  // namespace shoal
