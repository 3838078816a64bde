#pragma once
// task_id: the 16 bytes that name a task on the wire (PROTOCOL.md section 3). Clients choose
// them (random UUIDv4 bits), so a repeated submit is recognisably the same task.

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace shoal::proto {

struct task_id {
    std::array<std::uint8_t, 16> bytes{};

    // A fresh random id (UUIDv4 layout: 122 random bits) from the OS CSPRNG, read in batches per
    // thread: unguessable from any number of ids seen before it.
    static task_id random();
    // Parses 32 hex digits (dashes allowed, as in a UUID); nullopt if it is not one.
    static std::optional<task_id> from_hex(std::string_view text);
    // Takes exactly 16 raw bytes; nullopt for any other length.
    static std::optional<task_id> from_bytes(std::string_view raw);

    // 32 lowercase hex digits, no dashes: what logs, the CLI and JSON show.
    std::string to_hex() const;
    std::string_view as_bytes() const noexcept {
        return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    }

    friend bool operator==(const task_id&, const task_id&) = default;
    friend auto operator<=>(const task_id&, const task_id&) = default;
};

// A per-process secret mixed into every task id hash: ids are chosen by clients, and ids chosen
// to collide under a fixed hash (or merely regular ones: a counter in the last bytes) must not
// pile into one run of a hash table. Drawn from the OS at start.
std::uint64_t make_task_id_hash_seed() noexcept;
inline const std::uint64_t task_id_hash_seed = make_task_id_hash_seed();

struct task_id_hash {
    std::size_t operator()(const task_id& id) const noexcept {
        std::uint64_t a = 0;
        std::uint64_t b = 0;
        std::memcpy(&a, id.bytes.data(), 8);
        std::memcpy(&b, id.bytes.data() + 8, 8);
        // Both words through a full 64-bit mix (splitmix64's finalizer): every input bit moves
        // every output bit, so no part of an id, random or not, is left out of the low bits a
        // table indexes by.
        std::uint64_t x = (a ^ task_id_hash_seed) + b * 0x9e3779b97f4a7c15ULL;
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        x ^= x >> 31;
        return static_cast<std::size_t>(x);
    }
};

}  // namespace shoal::proto

template <>
struct std::hash<shoal::proto::task_id> : shoal::proto::task_id_hash {};
