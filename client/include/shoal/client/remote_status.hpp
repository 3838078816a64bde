#pragma once
// remote_status: where a remote task stands, as seen by the client that holds its future.
//
//   pending   submitted here, not yet acknowledged by the broker (queued in the client, or
//             sent and waiting for ACCEPTED); also a fetched future still waiting
//   accepted  the broker acknowledged it (ACCEPTED): queued or running somewhere
//   done      finished with a value
//   failed    finished with an error: the task raised, was refused, no worker knows its name,
//             it was lost, the client closed, ... (the exception says which)
//   revoked   cancelled: by this future's cancel(), a revoke by id, or a revoke elsewhere
//
// done, failed and revoked are final; pending -> accepted -> final is the only order.

#include <cstdint>
#include <string_view>

namespace shoal {

enum class remote_status : std::uint8_t { pending, accepted, done, failed, revoked };

std::string_view to_string(remote_status status) noexcept;

// True for done, failed and revoked.
constexpr bool is_final(remote_status status) noexcept {
    return status == remote_status::done || status == remote_status::failed ||
           status == remote_status::revoked;
}

}  // namespace shoal
