#pragma once
// peer_ref: a reference to a session in the peer table that survives the session: a slot
// index plus the slot's generation, so a ref to a peer that left (and whose slot was reused)
// resolves to nothing instead of to a stranger. 8 bytes, stored per pending task.

#include <cstdint>

namespace shoal::broker {

struct peer_ref {
    static constexpr std::uint32_t no_slot = UINT32_MAX;
    std::uint32_t slot = no_slot;
    std::uint32_t generation = 0;

    bool empty() const noexcept { return slot == no_slot; }
    friend bool operator==(const peer_ref&, const peer_ref&) = default;
};

}  // namespace shoal::broker
