#include "shoal/proto/envelope.hpp"

#include <cstdint>
#include <string>

namespace shoal::proto {

envelope parse_envelope(std::span<const std::string_view> frames, const decode_limits& limits) {
    if (frames.size() != frames_per_message) {
        throw decode_error(decode_errc::bad_frames, std::to_string(frames.size()) + " frames");
    }
    if (frames[0] != protocol_id) {
        throw decode_error(decode_errc::bad_version, "frame 0 is not " + std::string(protocol_id));
    }
    if (frames[1].size() != 1) {
        throw decode_error(decode_errc::bad_command,
                           "frame 1 has " + std::to_string(frames[1].size()) + " bytes");
    }
    const auto byte = static_cast<std::uint8_t>(frames[1][0]);
    const std::optional<command> cmd = command_from_byte(byte);
    if (!cmd) {
        throw decode_error(decode_errc::bad_command, "byte " + std::to_string(byte));
    }
    if (frames[2].size() > limits.max_bytes) {
        throw decode_error(decode_errc::too_large, std::to_string(frames[2].size()) + " bytes");
    }
    return envelope{*cmd, frames[2]};
}

}  // namespace shoal::proto
