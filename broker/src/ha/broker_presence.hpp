#pragma once
// broker_presence: which brokers share the lease, for `shoal inspect brokers` (broker/README.md,
// "Active and standby brokers"). Every broker with a lease writes its own entry, a standby
// each time it tries the lease, the active every third of the lease time:
//
//   shoal:brokers   hash: NAME -> "ROLE,UNIX_MS,ENDPOINT"
//
// The active reads the hash back with the same call. A standby not heard of for three lease
// times is gone (killed, cut off) and no longer listed; an entry an hour old is deleted.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal::broker {

inline constexpr std::string_view presence_key = "shoal:brokers";
// How long an entry counts, in lease times, and when it is deleted.
inline constexpr std::uint64_t presence_lease_times = 3;
inline constexpr std::uint64_t presence_forget_ms = 3'600'000;

struct broker_presence {
    std::string name;
    std::string role;  // standby or active, as it wrote
    std::uint64_t at_ms = 0;
    std::string endpoint;
};

std::string encode_presence(std::string_view role, std::uint64_t at_ms, std::string_view endpoint);
// nullopt for a value it cannot read.
std::optional<broker_presence> decode_presence(std::string_view name, std::string_view value);

}  // namespace shoal::broker
