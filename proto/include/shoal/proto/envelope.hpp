#pragma once
// parse_envelope: checks a message's frames (PROTOCOL.md section 2) before anything reads the
// body: the frame count, the protocol id, the command byte and the body's size. What fails
// gets a decode_error whose code is the ERROR code of section 8 (bad_frames, bad_version,
// bad_command, too_large).

#include <span>
#include <string_view>

#include "shoal/proto/bounded_unpack.hpp"
#include "shoal/proto/commands.hpp"
#include "shoal/proto/limits.hpp"

namespace shoal::proto {

struct envelope {
    command cmd;
    std::string_view body;  // points into the caller's frames
};

// frames: the message as a DEALER sends it, without a ROUTER's identity frame.
// Throws decode_error.
envelope parse_envelope(std::span<const std::string_view> frames, const decode_limits& limits = {});

}  // namespace shoal::proto
