#pragma once
// access_rules: what each key role may do, when the broker has a key (SECURITY.md's table).
// The role comes from the key the connection authenticated with (ZAP), never from what the
// peer says in HELLO.
//
//   worker  HELLO as a worker (READY, DONE, STARTED, DRAIN); as a client too, since a task
//           may submit subtasks through its worker's connection
//   client  HELLO as a client; SUBMIT, FETCH, REVOKE; INSPECT of workers, queues, limits, stats
//   admin   all a client may, plus PURGE, REQUEUE and INSPECT of tasks (active, dead, held)
//
// An open broker (no key) lets every peer do everything, as before.

#include <optional>
#include <string_view>

#include "key_registry.hpp"
#include "shoal/proto/commands.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::broker {

// The role `cmd` needs beyond `have`, or nullopt if `have` may send it.
std::optional<key_role> role_needed(key_role have, proto::command cmd);
// The role a HELLO as `as` needs beyond `have`, or nullopt.
std::optional<key_role> role_needed_for_hello(key_role have, proto::peer_role as);
// The role an INSPECT of `what` needs beyond `have`, or nullopt.
std::optional<key_role> role_needed_to_inspect(key_role have, std::string_view what);

}  // namespace shoal::broker
