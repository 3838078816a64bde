#include "shoal/proto/task_id.hpp"

#include <random>

namespace shoal::proto {

namespace {

// splitmix64 seeded once per thread from the OS: fast, and ids from different threads and
// processes do not collide in practice (128 random bits minus the 6 UUID version bits).
std::uint64_t next_random() {
    thread_local std::uint64_t state = [] {
        std::random_device rd;
        return (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
               reinterpret_cast<std::uintptr_t>(&state);
    }();
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

task_id task_id::random() {
    task_id id;
    const std::uint64_t a = next_random();
    const std::uint64_t b = next_random();
    std::memcpy(id.bytes.data(), &a, 8);
    std::memcpy(id.bytes.data() + 8, &b, 8);
    id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0f) | 0x40);  // version 4
    id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
    return id;
}

std::optional<task_id> task_id::from_hex(std::string_view text) {
    task_id id;
    std::size_t nibbles = 0;
    for (const char c : text) {
        if (c == '-') continue;
        const int v = hex_value(c);
        if (v < 0 || nibbles >= 32) return std::nullopt;
        auto& byte = id.bytes[nibbles / 2];
        byte = static_cast<std::uint8_t>(nibbles % 2 == 0 ? v << 4 : byte | v);
        ++nibbles;
    }
    if (nibbles != 32) return std::nullopt;
    return id;
}

std::optional<task_id> task_id::from_bytes(std::string_view raw) {
    if (raw.size() != 16) return std::nullopt;
    task_id id;
    std::memcpy(id.bytes.data(), raw.data(), 16);
    return id;
}

std::string task_id::to_hex() const {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(32, '0');
    for (std::size_t i = 0; i < 16; ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0xf];
    }
    return out;
}

std::uint64_t make_task_id_hash_seed() noexcept {
    try {
        std::random_device rd;
        return (std::uint64_t{rd()} << 32) ^ rd();
    } catch (...) {
        // No OS entropy (cannot happen on Linux): the address of this code still varies per
        // run with ASLR, which is all a hash seed needs to be.
        return reinterpret_cast<std::uintptr_t>(&make_task_id_hash_seed) * 0x9e3779b97f4a7c15ULL;
    }
}

}  // namespace shoal::proto
