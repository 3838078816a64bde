#pragma once
// cron_expression: when a cron schedule fires, as Vixie cron (Debian's cron) reads it.
//
// Five fields, "minute hour day-of-month month day-of-week", separated by blanks:
//
//     minute 0-59   hour 0-23   day-of-month 1-31   month 1-12 or jan-dec
//     day-of-week 0-7 or sun-sat (0 and 7 are Sunday)
//
// Each field is a comma-separated list of items: *, N, A-B, */S or A-B/S (every S-th value of
// the range, from its start). Names are case-insensitive and may stand anywhere a number may
// ("mon-fri", "jan-jun/2"). Rejected, each with a message naming the field: values out of
// range, reversed ranges (10-5), a step of 0 or wider than the field, a step after a single
// value (5/15: write 5-59/15). A macro may stand for the whole expression: @yearly and
// @annually (0 0 1 1 *), @monthly (0 0 1 * *), @weekly (0 0 * * 0), @daily and @midnight
// (0 0 * * *), @hourly (0 * * * *).
//
// Day-of-month and day-of-week follow Vixie cron: when both are restricted, a day matches if
// EITHER matches ("0 0 13 * fri": every 13th and every Friday); when one of them starts with
// '*' (including "*/2"), a day must match both, which is the other one alone for a plain '*'.
//
// Time zones and daylight saving, as Vixie cron does it (cron(8)), with minutes read on the
// zone's local clock:
//   - A local time that does not exist (the hour skipped in spring) fires once, at the first
//     instant after the gap: "30 2 * * *" in Europe/Paris on 2026-03-29 fires at 03:00 CEST.
//   - A local time that occurs twice (the hour repeated in autumn) fires once, at its first
//     occurrence: "30 1 * * *" in America/New_York on 2026-11-01 fires at 01:30 EDT only.
//   - Except for wildcard expressions, whose minute or hour field starts with '*' (@hourly,
//     "*/5 * * * *", "15 * * * *"): they follow the local clock as it runs, so the minutes a
//     spring gap skips do not fire and the repeated hour fires again. A job meant to run every
//     five minutes keeps doing so through both changes, rather than pausing for an hour in
//     autumn or firing a burst in spring.
//
// Threads: an immutable value; copies and calls are safe from any thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "schedule/time_zone.hpp"

namespace shoal::broker {

class cron_expression {
  public:
    // Throws schedule_error with what is wrong and where, e.g.
    // "cron field 2 (hour) '25': out of range 0-23".
    static cron_expression parse(std::string_view text);

    // The expression as parsed, blanks trimmed and runs of them made one space; parse()
    // reads it back to the same expression.
    const std::string& text() const noexcept { return text_; }

    // The first matching minute strictly after `after_ms` (unix epoch ms), read on `tz`'s
    // clock, as unix ms (local seconds and ms zero). nullopt when nothing matches within
    // search_horizon (e.g. "0 0 30 2 *", which never matches) or past the year 9999.
    std::optional<std::uint64_t> next_after(std::uint64_t after_ms, const time_zone& tz) const;

    // How far next_after looks. Eight years, not five: the longest wait of an expression that
    // does match is Feb 29 across a century that skips its leap year (2096 to 2104).
    static constexpr std::chrono::days search_horizon{8 * 366};

    // Same schedule: the same minutes match (the text may differ: "0 * * * *", "@hourly").
    friend bool operator==(const cron_expression& a, const cron_expression& b) noexcept;

  private:
    cron_expression() = default;

    // Local time in seconds since 1970-01-01 00:00 on the zone's clock.
    using local_seconds = std::int64_t;
    // The first matching local minute in [from, until), or nullopt.
    std::optional<local_seconds> first_local_match(local_seconds from, local_seconds until) const;
    bool day_matches(std::chrono::sys_days day) const noexcept;

    std::uint64_t minutes_ = 0;    // bit m: minute m matches (0-59)
    std::uint32_t hours_ = 0;      // bit h: hour h (0-23)
    std::uint32_t days_ = 0;       // bit d: day-of-month d (1-31)
    std::uint16_t months_ = 0;     // bit m: month m (1-12)
    std::uint8_t weekdays_ = 0;    // bit d: day-of-week d (0-6, 0 Sunday; 7 is stored as 0)
    bool day_star_ = false;        // day-of-month starts with '*': Vixie's rule, see above
    bool weekday_star_ = false;    // day-of-week starts with '*'
    bool wildcard_clock_ = false;  // minute or hour starts with '*': no DST adjustment
    std::string text_;
};

}  // namespace shoal::broker
