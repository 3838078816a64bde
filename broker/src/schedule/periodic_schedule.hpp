#pragma once
// periodic_schedule: when a periodic task is due (issue 18, "Periodic tasks in the broker"),
// as pure arithmetic on unix epoch milliseconds: no clock, no I/O, so the broker's timer and
// its restart logic are tested without waiting.
//
// A schedule is an interval ("every 10s") or a cron expression read in a time zone
// ("cron 0 9 * * mon-fri" in Europe/Paris), plus what to do about slots missed while no broker
// ran. Its slots are the instants it fires, all strictly after an anchor (the time the
// schedule was created): an interval's slots are anchor + k * every for k >= 1, so a
// restarted broker computes the same slots; a cron schedule's are its matching minutes.
//
// Bounds: nothing loops over missed slots one by one without a limit. Intervals are computed
// arithmetically however far behind; cron searches look at most
// cron_expression::search_horizon ahead, and counting missed cron slots stops at
// max_counted_cron_slots.
//
// Errors: parse() throws schedule_error naming what is wrong. Threads: values; no state.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "schedule/cron_expression.hpp"
#include "schedule/time_zone.hpp"

namespace shoal::broker {

// What to do with slots that passed while no broker looked (a restart, a long pause).
enum class missed_policy : std::uint8_t {
    run_once,  // run the latest missed slot once, skip the rest (Celery beat's behaviour)
    skip,      // run none of them, unless the latest is within the grace period
};
// "run_once" or "skip", the words parse_missed_policy() reads.
std::string_view to_string(missed_policy p) noexcept;
// Throws schedule_error for any other word.
missed_policy parse_missed_policy(std::string_view text);

struct periodic_schedule {
    // Exactly one of these two. A value built by hand with neither (or every_ms == 0) has no
    // slots.
    std::optional<std::uint64_t> every_ms;  // interval schedule: the period
    std::optional<cron_expression> cron;    // cron schedule, read on `zone`'s clock
    time_zone zone = time_zone::utc();      // for cron; kept, and unused, by an interval
    missed_policy missed = missed_policy::run_once;

    // `spec` is "every <n><unit>" with unit ms, s, m, h or d ("every 10s", "every 500ms"; also
    // "10s" alone), or "cron " then five fields or a macro ("cron 0 9 * * mon-fri",
    // "cron @daily"). The words every and cron are case-insensitive. `zone` is an IANA name
    // or "UTC", `missed` a missed_policy word. Throws schedule_error.
    static periodic_schedule parse(std::string_view spec, std::string_view zone = "UTC",
                                   std::string_view missed = "run_once");

    // The text parse() reads back to the same schedule, with zone.name() and
    // to_string(missed): "every 90s" (an interval in its largest exact unit), "cron @daily".
    // Empty for a value with neither kind.
    std::string spec() const;

    // The first slot strictly after `after_ms`; slots are after `anchor_ms` (see above).
    // nullopt when there is none: an interval past the end of uint64 ms, a cron expression
    // that matches nothing within its search horizon.
    std::optional<std::uint64_t> next_after(std::uint64_t after_ms, std::uint64_t anchor_ms) const;

    friend bool operator==(const periodic_schedule&, const periodic_schedule&) = default;
};

// Missed cron slots are counted one search each, so the count stops here: a broker back after
// a year of "* * * * *" reports 100000 skipped, not 525600, and costs a bounded time.
inline constexpr std::uint64_t max_counted_cron_slots = 100'000;

// What to fire when the broker looks at a schedule at `now_ms`.
struct due_slots {
    std::optional<std::uint64_t> run_slot_ms;   // the slot to run now, if any
    std::uint64_t skipped = 0;                  // due slots not run (cron: at most the cap above)
    std::optional<std::uint64_t> next_slot_ms;  // the first slot after now (and after the last)
};

// The due slots are those in (max(anchor_ms, last_slot_ms), now_ms]; `last_slot_ms` is the
// last slot fired, 0 when none was. When there are any, the latest runs, unless the policy is
// skip and it is older than `grace_ms`; every other due slot counts as skipped. The broker
// then records run_slot_ms as its last slot, or now_ms when it skipped without running (no
// slot lies between the latest due one and now_ms, so either serves), and sleeps until
// next_slot_ms.
due_slots slots_due(const periodic_schedule& s, std::uint64_t anchor_ms, std::uint64_t last_slot_ms,
                    std::uint64_t now_ms, std::uint64_t grace_ms = 1000);

}  // namespace shoal::broker
