// Encoding and framing for the process pool's parent/child protocol (process_pool_wire.hpp).

#include "process_pool_wire.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <msgpack.hpp>

namespace shoal::detail::pool_wire {
namespace {

constexpr std::uint32_t message_fields = 4;

std::string with_length_prefix(const msgpack::sbuffer& body) {
    const auto length = static_cast<std::uint32_t>(body.size());
    std::string frame(length_prefix_bytes, '\0');
    std::memcpy(frame.data(), &length, length_prefix_bytes);
    frame.append(body.data(), body.size());
    return frame;
}

void pack_bytes(msgpack::packer<msgpack::sbuffer>& packer, const std::string& bytes, bool as_bin) {
    const auto size = static_cast<std::uint32_t>(bytes.size());
    if (as_bin) {
        packer.pack_bin(size);
        packer.pack_bin_body(bytes.data(), size);
    } else {
        packer.pack_str(size);
        packer.pack_str_body(bytes.data(), size);
    }
}

// Accepts str or bin for a byte field; rejects anything else without throwing.
bool read_bytes(const msgpack::object& o, std::string& out) {
    if (o.type == msgpack::type::STR) {
        out.assign(o.via.str.ptr, o.via.str.size);
        return true;
    }
    if (o.type == msgpack::type::BIN) {
        out.assign(o.via.bin.ptr, o.via.bin.size);
        return true;
    }
    return false;
}

// The array of four with a small positive kind and an id; nullptr if the payload is not one.
// `handle` keeps the returned fields alive.
const msgpack::object* message_fields_of(std::string_view payload, msgpack::object_handle& handle,
                                         std::uint8_t& kind, std::uint64_t& id) {
    try {
        handle = msgpack::unpack(payload.data(), payload.size());
    } catch (const std::exception&) {
        return nullptr;  // truncated or not msgpack
    }
    const msgpack::object& o = handle.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != message_fields ||
        o.via.array.ptr[0].type != msgpack::type::POSITIVE_INTEGER ||
        o.via.array.ptr[1].type != msgpack::type::POSITIVE_INTEGER ||
        o.via.array.ptr[0].via.u64 > UINT8_MAX) {
        return nullptr;
    }
    kind = static_cast<std::uint8_t>(o.via.array.ptr[0].via.u64);
    id = o.via.array.ptr[1].via.u64;
    return o.via.array.ptr;
}

}  // namespace

std::string encode(const request& message) {
    msgpack::sbuffer body;
    msgpack::packer<msgpack::sbuffer> packer(body);
    packer.pack_array(message_fields);
    packer.pack(static_cast<std::uint8_t>(message.kind));
    packer.pack(message.id);
    pack_bytes(packer, message.name, false);
    pack_bytes(packer, message.args, true);
    return with_length_prefix(body);
}

std::string encode(const response& message) {
    msgpack::sbuffer body;
    msgpack::packer<msgpack::sbuffer> packer(body);
    packer.pack_array(message_fields);
    packer.pack(static_cast<std::uint8_t>(message.kind));
    packer.pack(message.id);
    switch (message.kind) {
        case response_kind::ok:
            pack_bytes(packer, message.result, true);
            break;
        case response_kind::error:
            pack_bytes(packer, message.error_type, false);
            break;
        case response_kind::retry:
            if (message.retry_countdown_ms) {
                packer.pack(*message.retry_countdown_ms);
            } else {
                packer.pack_nil();
            }
            break;
        case response_kind::ready:
        case response_kind::unknown_function:
        case response_kind::soft_time_limit:
            packer.pack_nil();
            break;
    }
    pack_bytes(packer, message.message, false);
    return with_length_prefix(body);
}

std::optional<request> decode_request(std::string_view payload) {
    msgpack::object_handle handle;
    std::uint8_t kind = 0;
    request message;
    const msgpack::object* fields = message_fields_of(payload, handle, kind, message.id);
    if (fields == nullptr || (kind != static_cast<std::uint8_t>(request_kind::call) &&
                              kind != static_cast<std::uint8_t>(request_kind::stop))) {
        return std::nullopt;
    }
    message.kind = static_cast<request_kind>(kind);
    if (!read_bytes(fields[2], message.name) || !read_bytes(fields[3], message.args))
        return std::nullopt;
    return message;
}

std::optional<response> decode_response(std::string_view payload) {
    msgpack::object_handle handle;
    std::uint8_t kind = 0;
    response message;
    const msgpack::object* fields = message_fields_of(payload, handle, kind, message.id);
    if (fields == nullptr || kind < static_cast<std::uint8_t>(response_kind::ready) ||
        kind > static_cast<std::uint8_t>(response_kind::soft_time_limit) ||
        !read_bytes(fields[3], message.message)) {
        return std::nullopt;
    }
    message.kind = static_cast<response_kind>(kind);
    const msgpack::object& detail = fields[2];
    switch (message.kind) {
        case response_kind::ok:
            if (!read_bytes(detail, message.result)) return std::nullopt;
            break;
        case response_kind::error:
            if (!read_bytes(detail, message.error_type)) return std::nullopt;
            break;
        case response_kind::retry:
            if (detail.type == msgpack::type::POSITIVE_INTEGER && detail.via.u64 <= INT64_MAX) {
                message.retry_countdown_ms = static_cast<std::int64_t>(detail.via.u64);
            } else if (detail.type == msgpack::type::NEGATIVE_INTEGER) {
                message.retry_countdown_ms = detail.via.i64;
            } else if (detail.type != msgpack::type::NIL) {
                return std::nullopt;
            }
            break;
        case response_kind::ready:
        case response_kind::unknown_function:
        case response_kind::soft_time_limit:
            if (detail.type != msgpack::type::NIL) return std::nullopt;
            break;
    }
    return message;
}

bool write_all(int fd, std::string_view frame) {
    while (!frame.empty()) {
        const ssize_t n = ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        frame.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

namespace {
bool read_exact(int fd, char* out, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::read(fd, out, size);
        if (n == 0) {
            return false;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        out += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}
}  // namespace

bool read_frame(int fd, std::string& payload) {
    std::uint32_t length = 0;
    if (!read_exact(fd, reinterpret_cast<char*>(&length), length_prefix_bytes) ||
        length > max_payload_bytes) {
        return false;
    }
    payload.resize(length);
    return read_exact(fd, payload.data(), length);
}

void frame_reader::append(std::string_view bytes) {
    // Drop consumed bytes before growing, so a stream of partial frames stays bounded.
    if (offset_ > 0) {
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    buffer_.append(bytes);
}

frame_reader::status frame_reader::next(std::string& payload) {
    const std::size_t available = buffer_.size() - offset_;
    if (available < length_prefix_bytes) {
        return status::need_more;
    }
    std::uint32_t length = 0;
    std::memcpy(&length, buffer_.data() + offset_, length_prefix_bytes);
    if (length > max_payload_bytes) {
        return status::corrupt;
    }
    if (available - length_prefix_bytes < length) {
        return status::need_more;
    }
    payload.assign(buffer_, offset_ + length_prefix_bytes, length);
    offset_ += length_prefix_bytes + length;
    if (offset_ == buffer_.size()) {
        buffer_.clear();  // the common case: one whole frame per read
        offset_ = 0;
    }
    return status::frame;
}

}  // namespace shoal::detail::pool_wire
