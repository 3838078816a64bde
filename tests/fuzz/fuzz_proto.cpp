// libFuzzer target: every SHOAL/1 decoder (proto/include/shoal/proto/codec.hpp), the envelope
// checks (envelope.hpp, wire.hpp's received_message::parse) and task_id::from_hex.
//
// Input: one flags-and-command byte, then the rest.
//   byte & 0x3f   the command byte (commands.hpp); the rest is that message's body, sent
//                 through parse_envelope as the frames [SHOAL1, command, body]
//   byte & 0x40   tight decode_limits (depth 3, 4 elements, 16-byte str and bin), to reach
//                 every limit with small inputs
//   byte & 0x80   raw frames instead: the rest is a list of frames, each one length byte and
//                 then that many bytes (the last one may be cut short), handed to
//                 received_message::parse as a socket would deliver them
// decode_error is the documented answer to bad input. Anything else is a finding: another
// exception, a crash, a sanitizer report, or a decoded message that does not survive
// encode -> decode unchanged.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>

#include <zmq.hpp>

#include "shoal/proto/codec.hpp"
#include "shoal/proto/envelope.hpp"
#include "shoal/proto/wire.hpp"

namespace {

using namespace shoal::proto;
namespace sp = shoal::proto;  // unistd.h has a revoke() too

[[noreturn]] void finding(const char* what, std::string_view detail) {
    std::fprintf(stderr, "fuzz_proto: %s: %.*s\n", what, static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
}

// Decodes one body as M; if it decodes, its encoding must decode to the same message.
template <class M>
void round_trip(std::string_view body, const decode_limits& limits) {
    M m;
    try {
        m = decode<M>(body, limits);
    } catch (const decode_error&) {
        return;  // bad input, refused as documented
    }
    const std::string again = encode(m);
    M m2;
    try {
        m2 = decode<M>(again);
    } catch (const decode_error& e) {
        finding("the encoding of a decoded message does not decode", e.what());
    }
    if constexpr (std::is_same_v<M, submit>) m.malformed.clear();  // decode-only, never encoded
    if constexpr (std::is_same_v<M, dispatch>) {
        m.malformed.clear();
        m.unidentified = 0;
    }
    if (!(m2 == m)) finding("encode -> decode changed the message", command_name(M::cmd));
}

void decode_as(command cmd, std::string_view body, const decode_limits& limits) {
    switch (cmd) {
        case command::hello:
            return round_trip<sp::hello>(body, limits);
        case command::welcome:
            return round_trip<sp::welcome>(body, limits);
        case command::submit:
            return round_trip<sp::submit>(body, limits);
        case command::accepted:
            return round_trip<sp::accepted>(body, limits);
        case command::result:
            return round_trip<sp::result>(body, limits);
        case command::fetch:
            return round_trip<sp::fetch>(body, limits);
        case command::fetched:
            return round_trip<sp::fetched>(body, limits);
        case command::revoke:
            return round_trip<sp::revoke>(body, limits);
        case command::requeue:
            return round_trip<sp::requeue>(body, limits);
        case command::purge:
            return round_trip<sp::purge>(body, limits);
        case command::purged:
            return round_trip<sp::purged>(body, limits);
        case command::inspect:
            return round_trip<sp::inspect>(body, limits);
        case command::admin:
            return round_trip<sp::admin>(body, limits);
        case command::subscribe:
            return round_trip<sp::subscribe>(body, limits);
        case command::events:
            return round_trip<sp::events>(body, limits);
        case command::report:
            return round_trip<sp::report>(body, limits);
        case command::ready:
            return round_trip<sp::ready>(body, limits);
        case command::dispatch:
            return round_trip<sp::dispatch>(body, limits);
        case command::done:
            return round_trip<sp::done>(body, limits);
        case command::cancel:
            return round_trip<sp::cancel>(body, limits);
        case command::heartbeat:
            return round_trip<sp::heartbeat>(body, limits);
        case command::bye:
            return round_trip<sp::bye>(body, limits);
        case command::error:
            return round_trip<sp::error_reply>(body, limits);
        default:
            return;  // a command added since: decode it here too
    }
}

// The frames of a raw-mode input, as ZeroMQ would hand them over.
received_message raw_frames(std::string_view rest) {
    received_message msg;
    while (!rest.empty()) {
        const std::size_t n =
            std::min<std::size_t>(static_cast<std::uint8_t>(rest[0]), rest.size() - 1);
        const std::string_view frame = rest.substr(1, n);
        rest.remove_prefix(1 + n);
        ++msg.frame_count;
        if (msg.frames.size() < frames_per_message)
            msg.frames.emplace_back(frame.data(), frame.size());
    }
    return msg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t flags = data[0];
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

    decode_limits limits;
    if ((flags & 0x40) != 0) {
        limits.max_depth = 3;
        limits.max_elements = 4;
        limits.max_str_bytes = 16;
        limits.max_bin_bytes = 16;
    }

    if (const auto id = task_id::from_hex(rest)) {
        if (task_id::from_hex(id->to_hex()) != id) finding("task_id hex round trip", rest);
    }

    try {
        if ((flags & 0x80) != 0) {
            const received_message msg = raw_frames(rest);
            const envelope env = msg.parse(limits);
            decode_as(env.cmd, env.body, limits);
        } else {
            const std::string cmd_frame(1, static_cast<char>(flags & 0x3f));
            const std::string_view frames[] = {protocol_id, cmd_frame, rest};
            const envelope env = parse_envelope(frames, limits);
            decode_as(env.cmd, env.body, limits);
        }
    } catch (const decode_error&) {
        // a bad envelope, refused as documented
    }
    return 0;
}
