#include "shoal/proto/bounded_unpack.hpp"

#include <algorithm>

namespace shoal::proto {

const char* to_string(decode_errc code) noexcept {
    switch (code) {
        case decode_errc::too_large:
            return "too_large";
        case decode_errc::truncated:
            return "truncated";
        case decode_errc::malformed:
            return "malformed";
        case decode_errc::too_deep:
            return "too_deep";
        case decode_errc::too_many_elements:
            return "too_many_elements";
        case decode_errc::too_long:
            return "too_long";
        case decode_errc::trailing_bytes:
            return "trailing_bytes";
        case decode_errc::bad_frames:
            return "bad_frames";
        case decode_errc::bad_version:
            return "bad_version";
        case decode_errc::bad_command:
            return "bad_command";
        case decode_errc::bad_body:
            return "bad_body";
    }
    return "unknown";
}

decode_error::decode_error(decode_errc code, const std::string& detail)
    : shoal::error(std::string("SHOAL/1 decode: ") + to_string(code) + ": " + detail),
      code_(code) {}

msgpack::object_handle unpack_bounded(std::string_view bytes, const decode_limits& limits) {
    if (bytes.size() > limits.max_bytes) {
        throw decode_error(decode_errc::too_large, std::to_string(bytes.size()) + " bytes");
    }
    // An element takes at least one byte: no honest header claims more than the body holds.
    const std::size_t elements = std::min(limits.max_elements, bytes.size());
    const msgpack::unpack_limit limit(elements, elements, limits.max_str_bytes,
                                      limits.max_bin_bytes, limits.max_bin_bytes, limits.max_depth);
    std::size_t offset = 0;
    msgpack::object_handle handle;
    try {
        // Never reference the input: the handle must own what it holds.
        const msgpack::unpack_reference_func copy_all = [](msgpack::type::object_type, std::size_t,
                                                           void*) { return false; };
        handle = msgpack::unpack(bytes.data(), bytes.size(), offset, copy_all, nullptr, limit);
    } catch (const msgpack::depth_size_overflow& e) {
        throw decode_error(decode_errc::too_deep, e.what());
    } catch (const msgpack::array_size_overflow& e) {
        throw decode_error(decode_errc::too_many_elements, e.what());
    } catch (const msgpack::map_size_overflow& e) {
        throw decode_error(decode_errc::too_many_elements, e.what());
    } catch (const msgpack::size_overflow& e) {  // str, bin, ext
        throw decode_error(decode_errc::too_long, e.what());
    } catch (const msgpack::insufficient_bytes& e) {
        throw decode_error(decode_errc::truncated, e.what());
    } catch (const std::exception& e) {  // parse_error and anything else msgpack raises
        throw decode_error(decode_errc::malformed, e.what());
    }
    if (offset != bytes.size()) {
        throw decode_error(decode_errc::trailing_bytes,
                           std::to_string(bytes.size() - offset) + " bytes after the value");
    }
    return handle;
}

}  // namespace shoal::proto
