// Encoding and framing for the process pool's parent/child protocol (process_pool_wire.hpp).

#include "process_pool_wire.hpp"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

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

template <class Kind>
std::string encode_fields(Kind kind, std::uint64_t id, const std::string& a, bool a_is_bin,
                          const std::string& b, bool b_is_bin) {
    msgpack::sbuffer body;
    msgpack::packer<msgpack::sbuffer> packer(body);
    packer.pack_array(message_fields);
    packer.pack(static_cast<std::uint8_t>(kind));
    packer.pack(id);
    const auto pack_bytes = [&](const std::string& s, bool as_bin) {
        const auto size = static_cast<std::uint32_t>(s.size());
        if (as_bin) {
            packer.pack_bin(size);
            packer.pack_bin_body(s.data(), size);
        } else {
            packer.pack_str(size);
            packer.pack_str_body(s.data(), size);
        }
    };
    pack_bytes(a, a_is_bin);
    pack_bytes(b, b_is_bin);
    return with_length_prefix(body);
}

struct raw_fields {
    std::uint8_t kind = 0;
    std::uint64_t id = 0;
    std::string a;
    std::string b;
};

// Accepts str or bin for the byte fields; rejects anything else without throwing.
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

std::optional<raw_fields> decode_fields(std::string_view payload) {
    try {
        const auto handle = msgpack::unpack(payload.data(), payload.size());
        const msgpack::object& o = handle.get();
        if (o.type != msgpack::type::ARRAY || o.via.array.size != message_fields ||
            o.via.array.ptr[0].type != msgpack::type::POSITIVE_INTEGER ||
            o.via.array.ptr[1].type != msgpack::type::POSITIVE_INTEGER) {
            return std::nullopt;
        }
        raw_fields fields;
        if (o.via.array.ptr[0].via.u64 > UINT8_MAX) {
            return std::nullopt;
        }
        fields.kind = static_cast<std::uint8_t>(o.via.array.ptr[0].via.u64);
        fields.id = o.via.array.ptr[1].via.u64;
        if (!read_bytes(o.via.array.ptr[2], fields.a) || !read_bytes(o.via.array.ptr[3], fields.b)) {
            return std::nullopt;
        }
        return fields;
    } catch (const std::exception&) {
        return std::nullopt;  // truncated or not msgpack
    }
}

}  // namespace

std::string encode(const request& message) {
    return encode_fields(message.kind, message.id, message.name, false, message.args, true);
}

std::string encode(const response& message) {
    const bool a_is_result = message.kind == response_kind::ok;
    return encode_fields(message.kind, message.id, message.a, a_is_result, message.b, false);
}

std::optional<request> decode_request(std::string_view payload) {
    auto fields = decode_fields(payload);
    if (!fields || (fields->kind != static_cast<std::uint8_t>(request_kind::call) &&
                    fields->kind != static_cast<std::uint8_t>(request_kind::stop))) {
        return std::nullopt;
    }
    return request{static_cast<request_kind>(fields->kind), fields->id, std::move(fields->a),
                   std::move(fields->b)};
}

std::optional<response> decode_response(std::string_view payload) {
    auto fields = decode_fields(payload);
    if (!fields || fields->kind < static_cast<std::uint8_t>(response_kind::ready) ||
        fields->kind > static_cast<std::uint8_t>(response_kind::retry)) {
        return std::nullopt;
    }
    return response{static_cast<response_kind>(fields->kind), fields->id, std::move(fields->a),
                    std::move(fields->b)};
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
