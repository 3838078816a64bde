#pragma once
// time_zone: the civil time of a place, as periodic schedules need it: a zone from the IANA
// database ("Europe/Paris"), or UTC. A thin wrapper over Howard Hinnant's date/tz (GCC 12's
// <chrono> has no time zones), so that only time_zone.cpp includes date/tz.h.
//
// A zone is described as a sequence of periods, each a span of instants with one UTC offset;
// a daylight-saving change ends one period and starts the next. That is all the cron search
// needs: within a period, local time is the instant plus the offset, and the boundary between
// two periods shows which local times do not exist (spring forward) or occur twice (fall back).
//
// The database is the system's, /usr/share/zoneinfo (date/tz built with USE_OS_TZDB, as
// Debian builds it), read once on the first named() call and kept for the process's life.
// utc() and named("UTC") never read it.
//
// Known weakness: the system's zone files list transitions up to 2037 and leave the years
// after to a POSIX TZ rule at their end, which date/tz 3.0.1 does not read; past a zone's last
// listed transition its offset stays what that transition set (Europe/Paris keeps winter time
// from 2037-10-25 on).
//
// Errors: named() throws schedule_error for a name the database does not hold.
// Threads: a time_zone is an immutable value; copies and calls are safe from any thread.

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

// date/tz's zone, seen here by pointer only.
namespace date {
class time_zone;
}

namespace shoal::broker {

// Thrown for any bad schedule text or unknown zone: the message says what is wrong and where,
// e.g. "cron field 2 (hour) '25': out of range 0-23". Shared by the schedule headers
// (cron_expression.hpp, periodic_schedule.hpp), which include this one.
struct schedule_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

class time_zone {
  public:
    // The instants [begin, end) during which local time is the instant plus `offset`.
    struct period {
        std::chrono::sys_seconds begin;
        std::chrono::sys_seconds end;
        std::chrono::seconds offset;
    };

    static time_zone utc();
    // An IANA name ("Europe/Paris", "America/New_York"); "UTC" is utc(). Throws
    // schedule_error when the database has no such zone.
    static time_zone named(std::string_view iana_name);

    // The name as given to named() ("UTC" for utc()).
    const std::string& name() const noexcept { return name_; }
    // The period holding instant `t`. UTC's single period spans years -32767 to 32767.
    period period_at(std::chrono::sys_seconds t) const;

    // Same zone, by name.
    friend bool operator==(const time_zone& a, const time_zone& b) noexcept {
        return a.name_ == b.name_;
    }

  private:
    time_zone(std::string name, const date::time_zone* zone) noexcept;

    std::string name_;
    const date::time_zone* zone_ = nullptr;  // owned by date/tz's database; nullptr: UTC
};

}  // namespace shoal::broker
