#include "access_rules.hpp"

namespace shoal::broker {

std::optional<key_role> role_needed(key_role have, proto::command cmd) {
    using proto::command;
    switch (cmd) {
        case command::purge:
        case command::requeue:
        case command::admin:
        case command::subscribe:  // events name every client's tasks
            if (have != key_role::admin) return key_role::admin;
            return std::nullopt;
        default:
            // Everything else is decided by the session's role (HELLO), checked at HELLO.
            return std::nullopt;
    }
}

std::optional<key_role> role_needed_for_hello(key_role have, proto::peer_role as) {
    if (as == proto::peer_role::worker && have != key_role::worker) return key_role::worker;
    return std::nullopt;
}

std::optional<key_role> role_needed_to_inspect(key_role have, std::string_view what) {
    // Task lists name other clients' tasks; counts and workers do not.
    const bool lists_tasks =
        what == "active" || what == "dead" || what == "held" || what == "scheduled";
    if (lists_tasks && have != key_role::admin) return key_role::admin;
    return std::nullopt;
}

}  // namespace shoal::broker
