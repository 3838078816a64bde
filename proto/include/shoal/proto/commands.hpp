#pragma once
// SHOAL/1 wire constants (PROTOCOL.md sections 2 and 4): the one place that spells them.

#include <cstdint>
#include <optional>
#include <string_view>

namespace shoal::proto {

// Frame 0 of every message: protocol and major version.
inline constexpr std::string_view protocol_id = "SHOAL1";
// Frames in a message as a DEALER sends it (id, command, body); a ROUTER sees one more.
inline constexpr std::size_t frames_per_message = 3;

// Frame 1: one byte naming the command.
enum class command : std::uint8_t {
    hello = 0x01,
    welcome = 0x02,
    submit = 0x10,
    accepted = 0x11,
    result = 0x12,
    fetch = 0x13,
    fetched = 0x14,
    revoke = 0x15,
    purge = 0x16,
    purged = 0x17,
    inspect = 0x18,
    report = 0x19,
    requeue = 0x1a,
    admin = 0x1b,
    subscribe = 0x1c,
    events = 0x1d,
    ready = 0x20,
    dispatch = 0x21,
    done = 0x22,
    cancel = 0x23,
    started = 0x24,
    drain = 0x25,
    heartbeat = 0x30,
    bye = 0x31,
    error = 0x3f,
};

// The command a byte names, or nullopt for a byte SHOAL/1 does not define.
std::optional<command> command_from_byte(std::uint8_t byte) noexcept;
// The command's name as PROTOCOL.md writes it ("SUBMIT"), for logs.
std::string_view command_name(command c) noexcept;

}  // namespace shoal::proto
