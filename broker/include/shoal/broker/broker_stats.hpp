#pragma once
// broker_stats: counters since the broker started, shown by INSPECT stats.

#include <cstdint>

namespace shoal::broker {

struct broker_stats {
    std::uint64_t submitted = 0;     // tasks accepted as new
    std::uint64_t duplicates = 0;    // SUBMITs of a known id with the same body (not run again)
    std::uint64_t refused = 0;       // tasks refused in ACCEPTED
    std::uint64_t dispatched = 0;    // tasks sent to workers (each attempt counts)
    std::uint64_t completed = 0;     // outcomes from workers that counted
    std::uint64_t late_results = 0;  // DONEs ignored: a superseded attempt or a task not in flight
    std::uint64_t revoked_results = 0;  // DONEs ignored because the task was revoked meanwhile
    std::uint64_t requeued = 0;         // tasks put back in their queue after their worker died
    std::uint64_t revoked = 0;          // tasks ended by REVOKE or PURGE
    std::uint64_t unknown_task = 0;   // tasks failed at once: no registered worker offers the name
    std::uint64_t lost = 0;           // tasks that ran out of attempts (max_attempts)
    std::uint64_t dead_lettered = 0;  // tasks set aside after killing max_attempts workers
    std::uint64_t requeued_dead = 0;  // dead letters run again by REQUEUE
    std::uint64_t retried = 0;        // failed attempts run again by their retry policy
    std::uint64_t expired_tasks = 0;  // tasks whose expiry passed before they started
    std::uint64_t expired = 0;        // results forgotten after their TTL
    std::uint64_t workers_dead = 0;   // workers declared dead (silent past liveness)
    std::uint64_t clients_dead = 0;   // clients declared dead
    std::uint64_t invalid_messages = 0;     // dropped as invalid (PROTOCOL.md section 8)
    std::uint64_t unexpected_messages = 0;  // valid but not allowed (unexpected, not_registered)
    std::uint64_t repeated_hellos =
        0;  // HELLOs on an established session (that session ended first)
    std::uint64_t foreign_results =
        0;  // DONEs ignored: the task's attempt is in flight at another worker
    std::uint64_t recovered = 0;       // tasks read back from Redis at startup
    std::uint64_t unavailable = 0;     // tasks refused because Redis could not store them
    std::uint64_t undelivered = 0;     // messages the socket refused (peer gone, or its queue full)
    std::uint64_t busy = 0;            // tasks refused `busy`: the queued-bytes budget was reached
    std::uint64_t output_dropped = 0;  // messages not sent: the peer's output window was full
    std::uint64_t tasks_returned = 0;  // tasks a draining worker gave back unstarted
    std::uint64_t deaths_spared =
        0;  // tasks of dead workers re-queued without a death (never started)
    // Security (SECURITY.md): refused for the key's role, or a key no longer authorised.
    std::uint64_t forbidden = 0;
    // Handshakes the ZAP handler let in and turned away (unknown key, plaintext, other domain).
    std::uint64_t auth_accepted = 0;
    std::uint64_t auth_refused = 0;
    // The event stream (PROTOCOL.md 6.4): sessions subscribed now, events told, and events a
    // subscriber missed (dropped past its output window, or refused by its socket).
    std::uint64_t event_subscribers = 0;
    std::uint64_t events_published = 0;
    std::uint64_t events_dropped = 0;
    // Periodic tasks (broker/README.md, "Periodic tasks"): slots whose task was submitted,
    // and slot submissions refused (busy, Redis down) and tried again a second later.
    std::uint64_t periodic_fired = 0;
    std::uint64_t periodic_refused = 0;
};

}  // namespace shoal::broker
