#include "schedule/periodic_schedule.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace {

using shoal::broker::cron_expression;
using shoal::broker::due_slots;
using shoal::broker::max_counted_cron_slots;
using shoal::broker::missed_policy;
using shoal::broker::parse_missed_policy;
using shoal::broker::periodic_schedule;
using shoal::broker::schedule_error;
using shoal::broker::slots_due;
using shoal::broker::time_zone;

// Instants are unix epoch ms written out with their civil time (UTC unless a zone is named).
constexpr std::uint64_t anchor = 1'767'225'600'000;  // 2026-01-01 00:00
constexpr std::uint64_t second_ms = 1'000;
constexpr std::uint64_t minute_ms = 60'000;
constexpr std::uint64_t day_ms = 86'400'000;

// The message parse() throws, or "" when it parses.
std::string parse_error(std::string_view spec, std::string_view zone = "UTC",
                        std::string_view missed = "run_once") {
    try {
        (void)periodic_schedule::parse(spec, zone, missed);
    } catch (const schedule_error& e) {
        return e.what();
    }
    return "";
}

class PeriodicSchedule : public ::testing::Test {
  protected:
    static periodic_schedule every(std::string_view spec, std::string_view missed = "run_once") {
        return periodic_schedule::parse(spec, "UTC", missed);
    }
};

// ---- parsing --------------------------------------------------------------------------------

TEST_F(PeriodicSchedule, IntervalsInEveryUnit) {
    EXPECT_EQ(every("every 500ms").every_ms, 500u);
    EXPECT_EQ(every("every 10s").every_ms, 10'000u);
    EXPECT_EQ(every("every 5m").every_ms, 300'000u);
    EXPECT_EQ(every("every 2h").every_ms, 7'200'000u);
    EXPECT_EQ(every("every 1d").every_ms, 86'400'000u);
    const periodic_schedule s = every("every 10s");
    EXPECT_FALSE(s.cron.has_value());
    EXPECT_EQ(s.zone, time_zone::utc());
    EXPECT_EQ(s.missed, missed_policy::run_once);
}

TEST_F(PeriodicSchedule, AnIntervalMayStandWithoutEvery) {
    EXPECT_EQ(every("10s").every_ms, 10'000u);
    EXPECT_EQ(every("  EVERY   250ms ").every_ms, 250u);
}

TEST_F(PeriodicSchedule, CronSchedulesTakeFieldsOrAMacro) {
    const periodic_schedule s =
        periodic_schedule::parse("cron 0 9 * * mon-fri", "Europe/Paris", "skip");
    ASSERT_TRUE(s.cron.has_value());
    EXPECT_FALSE(s.every_ms.has_value());
    EXPECT_EQ(*s.cron, cron_expression::parse("0 9 * * 1-5"));
    EXPECT_EQ(s.zone.name(), "Europe/Paris");
    EXPECT_EQ(s.missed, missed_policy::skip);
    EXPECT_EQ(periodic_schedule::parse("CRON @daily").cron, cron_expression::parse("0 0 * * *"));
}

TEST_F(PeriodicSchedule, MissedPolicyWords) {
    EXPECT_EQ(parse_missed_policy("run_once"), missed_policy::run_once);
    EXPECT_EQ(parse_missed_policy("skip"), missed_policy::skip);
    EXPECT_EQ(to_string(missed_policy::run_once), "run_once");
    EXPECT_EQ(to_string(missed_policy::skip), "skip");
    EXPECT_THROW((void)parse_missed_policy("Skip"), schedule_error);
}

TEST_F(PeriodicSchedule, BadSpecsSayWhatIsWrong) {
    const std::string hint =
        "expected 'every <n><unit>' (unit ms, s, m, h or d) or 'cron <expression>'";
    EXPECT_EQ(parse_error(""), "schedule is empty: " + hint);
    EXPECT_EQ(parse_error("hourly"), "schedule 'hourly': " + hint);
    EXPECT_EQ(parse_error("every day at noon"),
              "schedule 'every day at noon': write the interval as one word, like 'every 10s'");
    EXPECT_EQ(parse_error("every"), "schedule 'every': the interval is missing");
    EXPECT_EQ(parse_error("every 10 s"),
              "schedule 'every 10 s': write the interval as one word, like 'every 10s'");
    EXPECT_EQ(parse_error("every 0s"),
              "schedule 'every 0s': the interval must be longer than zero");
    EXPECT_EQ(parse_error("every 10"), "schedule 'every 10': '10' has no unit (ms, s, m, h or d)");
    EXPECT_EQ(parse_error("every 10x"),
              "schedule 'every 10x': unknown unit 'x' (use ms, s, m, h or d)");
    EXPECT_EQ(parse_error("every 10S"),
              "schedule 'every 10S': unknown unit 'S' (use ms, s, m, h or d)");
    EXPECT_EQ(parse_error("every s"), "schedule 'every s': 's' does not start with a number");
    EXPECT_EQ(parse_error("every -5s"), "schedule 'every -5s': '-5s' does not start with a number");
    EXPECT_EQ(parse_error("every 1.5h"),
              "schedule 'every 1.5h': unknown unit '.5h' (use ms, s, m, h or d)");
    EXPECT_EQ(parse_error("cron"), "schedule 'cron': the cron expression is missing");
    // The cron expression's own message
    EXPECT_EQ(parse_error("cron 0 25 * * *"), "cron field 2 (hour) '25': out of range 0-23");
    EXPECT_EQ(parse_error("cron 0 9 * *"),
              "cron expression '0 9 * *': expected 5 fields (minute hour day-of-month month "
              "day-of-week), found 4");
}

TEST_F(PeriodicSchedule, IntervalsPastTheEndOfMillisecondsAreRejected) {
    // 2^64 - 1 ms is 213503982334 days and a part: one day more does not fit
    EXPECT_EQ(parse_error("every 213503982335d"),
              "schedule 'every 213503982335d': the interval is too long");
    EXPECT_EQ(every("every 213503982334d").every_ms, 213'503'982'334u * 86'400'000u);
    EXPECT_EQ(parse_error("every 99999999999999999999ms"),
              "schedule 'every 99999999999999999999ms': the interval is too long");
}

TEST_F(PeriodicSchedule, BadZonesAndPoliciesAreRejected) {
    EXPECT_EQ(parse_error("every 10s", "Mars/Olympus_Mons"),
              "time zone 'Mars/Olympus_Mons' is not in the time zone database");
    EXPECT_EQ(parse_error("every 10s", "UTC", "sometimes"),
              "missed policy 'sometimes': expected run_once or skip");
}

TEST_F(PeriodicSchedule, SpecReadsBackToTheSameSchedule) {
    EXPECT_EQ(every("every 90s").spec(), "every 90s");
    EXPECT_EQ(every("every 60s").spec(), "every 1m");
    EXPECT_EQ(every("every 1500ms").spec(), "every 1500ms");
    EXPECT_EQ(every("every 24h").spec(), "every 1d");
    EXPECT_EQ(every("every 36h").spec(), "every 36h");
    EXPECT_EQ(every("10s").spec(), "every 10s");
    EXPECT_EQ(every("cron  0 9 * *\tmon-fri").spec(), "cron 0 9 * * mon-fri");
    EXPECT_EQ(every("cron @hourly").spec(), "cron @hourly");
    for (const char* spec :
         {"every 250ms", "every 7d", "cron */5 * * * *", "cron @weekly", "cron 0 0 13 * fri"}) {
        const periodic_schedule s = periodic_schedule::parse(spec, "America/New_York", "skip");
        const periodic_schedule back =
            periodic_schedule::parse(s.spec(), s.zone.name(), to_string(s.missed));
        EXPECT_EQ(back, s) << spec;
    }
}

TEST_F(PeriodicSchedule, AValueWithNeitherKindHasNoSlots) {
    periodic_schedule s;
    EXPECT_EQ(s.spec(), "");
    EXPECT_EQ(s.next_after(anchor, anchor), std::nullopt);
    s.every_ms = 0;  // built by hand: no slots rather than a division by zero
    EXPECT_EQ(s.next_after(anchor, anchor), std::nullopt);
    const due_slots d = slots_due(s, anchor, 0, anchor + day_ms);
    EXPECT_EQ(d.run_slot_ms, std::nullopt);
    EXPECT_EQ(d.skipped, 0u);
    EXPECT_EQ(d.next_slot_ms, std::nullopt);
}

// ---- next_after -----------------------------------------------------------------------------

TEST_F(PeriodicSchedule, IntervalSlotsAreAnchored) {
    const periodic_schedule s = every("every 10s");
    // The anchor itself is no slot: the first is one interval after it
    EXPECT_EQ(s.next_after(anchor, anchor), anchor + 10'000);
    EXPECT_EQ(s.next_after(anchor - 5, anchor), anchor + 10'000);
    EXPECT_EQ(s.next_after(0, anchor), anchor + 10'000);
    // Strictly after
    EXPECT_EQ(s.next_after(anchor + 10'000, anchor), anchor + 20'000);
    EXPECT_EQ(s.next_after(anchor + 12'345, anchor), anchor + 20'000);
    EXPECT_EQ(s.next_after(anchor + 19'999, anchor), anchor + 20'000);
}

TEST_F(PeriodicSchedule, IntervalSlotsFarAheadAreComputedNotWalked) {
    const periodic_schedule s = every("every 10s");
    // Ten years of 365 days (315,360,000,000 ms) and 1 ms after the anchor
    EXPECT_EQ(s.next_after(anchor + 315'360'000'001, anchor), anchor + 315'360'010'000);
    // 1,000,000,000 ms is 142,857 intervals of 7 s and 1,000 ms: the next is the 142,858th
    EXPECT_EQ(every("every 7s").next_after(anchor + 1'000'000'000, anchor), anchor + 1'000'006'000);
}

TEST_F(PeriodicSchedule, IntervalSlotsPastTheEndOfMillisecondsAreNone) {
    periodic_schedule s;
    s.every_ms = 10'000'000'000'000'000'000u;  // 10^19 ms; 2 * 10^19 does not fit in 64 bits
    EXPECT_EQ(s.next_after(0, 0), 10'000'000'000'000'000'000u);
    EXPECT_EQ(s.next_after(10'000'000'000'000'000'000u, 0), std::nullopt);
    EXPECT_EQ(every("every 10s").next_after(0, UINT64_MAX - 5), std::nullopt);
}

TEST_F(PeriodicSchedule, CronSlotsAreAfterTheAnchorToo) {
    const periodic_schedule s = every("cron 0 9 * * *");
    // anchor 2026-01-01 12:00; asked from 2025-12-25 -> 2026-01-02 09:00, not 2025-12-25 09:00
    EXPECT_EQ(s.next_after(1'766'620'800'000, 1'767'268'800'000), 1'767'344'400'000u);
    EXPECT_EQ(s.next_after(1'767'344'400'000, 1'767'268'800'000), 1'767'430'800'000u);
}

TEST_F(PeriodicSchedule, CronSlotsAreReadInTheZone) {
    const periodic_schedule s = periodic_schedule::parse("cron 0 9 * * *", "Europe/Paris");
    // 09:00 CEST on 2026-07-01 is 07:00 UTC
    EXPECT_EQ(s.next_after(1'782'864'000'000, anchor), 1'782'889'200'000u);
}

// ---- slots_due: intervals -------------------------------------------------------------------

TEST_F(PeriodicSchedule, NothingIsDueBeforeTheFirstSlot) {
    const due_slots d = slots_due(every("every 10s"), anchor, 0, anchor + 5'000);
    EXPECT_EQ(d.run_slot_ms, std::nullopt);
    EXPECT_EQ(d.skipped, 0u);
    EXPECT_EQ(d.next_slot_ms, anchor + 10'000);
    // Nor at the anchor itself, nor before it
    EXPECT_EQ(slots_due(every("every 10s"), anchor, 0, anchor).run_slot_ms, std::nullopt);
    EXPECT_EQ(slots_due(every("every 10s"), anchor, 0, anchor - 1).next_slot_ms, anchor + 10'000);
}

TEST_F(PeriodicSchedule, ASlotIsDueFromItsOwnInstant) {
    const due_slots d = slots_due(every("every 10s"), anchor, 0, anchor + 10'000);
    EXPECT_EQ(d.run_slot_ms, anchor + 10'000);
    EXPECT_EQ(d.skipped, 0u);
    EXPECT_EQ(d.next_slot_ms, anchor + 20'000);
}

TEST_F(PeriodicSchedule, AFiredSlotIsNotDueAgain) {
    const due_slots d = slots_due(every("every 10s"), anchor, anchor + 10'000, anchor + 15'000);
    EXPECT_EQ(d.run_slot_ms, std::nullopt);
    EXPECT_EQ(d.skipped, 0u);
    EXPECT_EQ(d.next_slot_ms, anchor + 20'000);
}

TEST_F(PeriodicSchedule, RunOnceRunsTheLatestMissedSlotAndCountsTheRest) {
    // Fired at +10s, back at +45s: +20s, +30s, +40s are due; +40s runs, two are skipped
    const due_slots d = slots_due(every("every 10s"), anchor, anchor + 10'000, anchor + 45'000);
    EXPECT_EQ(d.run_slot_ms, anchor + 40'000);
    EXPECT_EQ(d.skipped, 2u);
    EXPECT_EQ(d.next_slot_ms, anchor + 50'000);
}

TEST_F(PeriodicSchedule, SkipRunsTheLatestSlotOnlyWithinTheGrace) {
    const periodic_schedule s = every("every 10s", "skip");
    // +40s is 500 ms old at +40.5s: within the default grace of 1000 ms, it runs
    due_slots d = slots_due(s, anchor, anchor + 10'000, anchor + 40'500);
    EXPECT_EQ(d.run_slot_ms, anchor + 40'000);
    EXPECT_EQ(d.skipped, 2u);
    // Exactly the grace old: still runs
    d = slots_due(s, anchor, anchor + 10'000, anchor + 41'000);
    EXPECT_EQ(d.run_slot_ms, anchor + 40'000);
    // 5 s old: nothing runs, all three are skipped
    d = slots_due(s, anchor, anchor + 10'000, anchor + 45'000);
    EXPECT_EQ(d.run_slot_ms, std::nullopt);
    EXPECT_EQ(d.skipped, 3u);
    EXPECT_EQ(d.next_slot_ms, anchor + 50'000);
    // A wider grace takes it
    d = slots_due(s, anchor, anchor + 10'000, anchor + 45'000, 5'000);
    EXPECT_EQ(d.run_slot_ms, anchor + 40'000);
    EXPECT_EQ(d.skipped, 2u);
}

TEST_F(PeriodicSchedule, NeverFiredCountsFromTheAnchor) {
    // last 0: slots +10s ... +30s are due at +35s
    const due_slots d = slots_due(every("every 10s"), anchor, 0, anchor + 35'000);
    EXPECT_EQ(d.run_slot_ms, anchor + 30'000);
    EXPECT_EQ(d.skipped, 2u);
}

TEST_F(PeriodicSchedule, YearsBehindIsArithmetic) {
    // Every second, fired at +1 s, back ten years (3650 days) later: slots 2 .. 315,360,000
    // are due; the last runs and 315,359,998 are skipped
    const due_slots d =
        slots_due(every("every 1s"), anchor, anchor + second_ms, anchor + 3650 * day_ms);
    EXPECT_EQ(d.run_slot_ms, anchor + 315'360'000'000);
    EXPECT_EQ(d.skipped, 315'359'998u);
    EXPECT_EQ(d.next_slot_ms, anchor + 315'360'001'000);
}

TEST_F(PeriodicSchedule, ALastSlotOffTheGridStillFindsTheGrid) {
    // The schedule changed from another interval: last fired at +15s, now +21s -> +20s runs
    const due_slots d = slots_due(every("every 10s"), anchor, anchor + 15'000, anchor + 21'000);
    EXPECT_EQ(d.run_slot_ms, anchor + 20'000);
    EXPECT_EQ(d.skipped, 0u);
    EXPECT_EQ(d.next_slot_ms, anchor + 30'000);
}

TEST_F(PeriodicSchedule, AClockSetBackNeverRefiresOrRepeatsASlot) {
    // Fired +50s, the clock now says +30s: nothing due, and the next slot is +60s, not +40s
    const due_slots d = slots_due(every("every 10s"), anchor, anchor + 50'000, anchor + 30'000);
    EXPECT_EQ(d.run_slot_ms, std::nullopt);
    EXPECT_EQ(d.skipped, 0u);
    EXPECT_EQ(d.next_slot_ms, anchor + 60'000);
}

// ---- slots_due: cron ------------------------------------------------------------------------

TEST_F(PeriodicSchedule, CronRunOnceRunsTheLatestMinute) {
    // */5 anchored 2026-01-01 00:00, looked at 00:12:30: 00:05 and 00:10 are due
    const due_slots d = slots_due(every("cron */5 * * * *"), anchor, 0, anchor + 750'000);
    EXPECT_EQ(d.run_slot_ms, anchor + 10 * minute_ms);
    EXPECT_EQ(d.skipped, 1u);
    EXPECT_EQ(d.next_slot_ms, anchor + 15 * minute_ms);
}

TEST_F(PeriodicSchedule, CronSkipHonoursTheGrace) {
    const periodic_schedule s = every("cron */5 * * * *", "skip");
    // 00:10:00.500: the 00:10 slot is 500 ms old and runs; 00:05 is skipped
    due_slots d = slots_due(s, anchor, 0, anchor + 600'500);
    EXPECT_EQ(d.run_slot_ms, anchor + 10 * minute_ms);
    EXPECT_EQ(d.skipped, 1u);
    // 00:12:30: both too old
    d = slots_due(s, anchor, 0, anchor + 750'000);
    EXPECT_EQ(d.run_slot_ms, std::nullopt);
    EXPECT_EQ(d.skipped, 2u);
    EXPECT_EQ(d.next_slot_ms, anchor + 15 * minute_ms);
}

TEST_F(PeriodicSchedule, CronWeekdaysInAZone) {
    const periodic_schedule s = periodic_schedule::parse("cron 0 9 * * mon-fri", "Europe/Paris");
    // Last fired Friday 2026-03-06 09:00 CET; looked at Wednesday 2026-03-11 12:00 UTC: Monday,
    // Tuesday and Wednesday 09:00 CET are due; Wednesday's (08:00 UTC) runs
    const due_slots d = slots_due(s, anchor, 1'772'784'000'000, 1'773'230'400'000);
    EXPECT_EQ(d.run_slot_ms, 1'773'216'000'000u);
    EXPECT_EQ(d.skipped, 2u);
    EXPECT_EQ(d.next_slot_ms, 1'773'302'400'000u);  // Thursday 09:00 CET
}

TEST_F(PeriodicSchedule, CronYearsBehindFindsTheLatestSlot) {
    // Yearly, anchored 2020-01-01 00:00 (itself no slot), looked at 2026-06-15: 2021 to 2026
    // are due; 2026-01-01 runs and five are skipped
    const due_slots d = slots_due(every("cron @yearly"), 1'577'836'800'000, 0, 1'781'481'600'000);
    EXPECT_EQ(d.run_slot_ms, 1'767'225'600'000u);
    EXPECT_EQ(d.skipped, 5u);
    EXPECT_EQ(d.next_slot_ms, 1'798'761'600'000u);
    // Leap days since 2000-01-01, looked at 2026-06-01: 2000, 2004 ... 2024 are due
    const due_slots leap =
        slots_due(every("cron 0 0 29 2 *"), 946'684'800'000, 0, 1'780'272'000'000);
    EXPECT_EQ(leap.run_slot_ms, 1'709'164'800'000u);
    EXPECT_EQ(leap.skipped, 6u);
    EXPECT_EQ(leap.next_slot_ms, 1'835'395'200'000u);
}

TEST_F(PeriodicSchedule, CronSkippedCountStopsAtTheCap) {
    // Every minute, back 200 days (288,000 minutes) and 30 s later: the last minute runs and
    // the 287,999 before it are counted up to the cap only
    const std::uint64_t now = anchor + 200 * day_ms + 30 * second_ms;
    due_slots d = slots_due(every("cron * * * * *"), anchor, anchor, now);
    EXPECT_EQ(d.run_slot_ms, anchor + 200 * day_ms);
    EXPECT_EQ(d.skipped, max_counted_cron_slots);
    EXPECT_EQ(d.next_slot_ms, anchor + 200 * day_ms + minute_ms);
    d = slots_due(every("cron * * * * *", "skip"), anchor, anchor, now);
    EXPECT_EQ(d.run_slot_ms, std::nullopt);
    EXPECT_EQ(d.skipped, max_counted_cron_slots);
    // Below the cap the count is exact: 99,999 minutes back, 99,998 skipped
    d = slots_due(every("cron * * * * *"), anchor, anchor, anchor + 99'999 * minute_ms);
    EXPECT_EQ(d.run_slot_ms, anchor + 99'999 * minute_ms);
    EXPECT_EQ(d.skipped, 99'998u);
}

TEST_F(PeriodicSchedule, CronSlotsBeforeTheAnchorAreNotDue) {
    // Hourly, anchored 00:30, looked at 01:30: 00:00 came before the anchor; 01:00 runs
    const due_slots d =
        slots_due(every("cron @hourly"), anchor + 30 * minute_ms, 0, anchor + 90 * minute_ms);
    EXPECT_EQ(d.run_slot_ms, anchor + 60 * minute_ms);
    EXPECT_EQ(d.skipped, 0u);
    EXPECT_EQ(d.next_slot_ms, anchor + 120 * minute_ms);
}

TEST_F(PeriodicSchedule, CronThatNeverMatchesIsNeverDue) {
    const due_slots d = slots_due(every("cron 0 0 30 2 *"), anchor, 0, anchor + 3650 * day_ms);
    EXPECT_EQ(d.run_slot_ms, std::nullopt);
    EXPECT_EQ(d.skipped, 0u);
    EXPECT_EQ(d.next_slot_ms, std::nullopt);
}

TEST_F(PeriodicSchedule, CronDueAcrossTheSpringGap) {
    // Paris, 02:30 daily; fired 2026-03-28 02:30 CET (01:30 UTC). On 2026-03-29 02:30 does
    // not exist: the slot is 03:00 CEST, 01:00 UTC, due from then
    const periodic_schedule s = periodic_schedule::parse("cron 30 2 * * *", "Europe/Paris");
    due_slots d = slots_due(s, anchor, 1'774'661'400'000, 1'774'745'999'999);
    EXPECT_EQ(d.run_slot_ms, std::nullopt);
    EXPECT_EQ(d.next_slot_ms, 1'774'746'000'000u);
    d = slots_due(s, anchor, 1'774'661'400'000, 1'774'746'000'000);
    EXPECT_EQ(d.run_slot_ms, 1'774'746'000'000u);
    EXPECT_EQ(d.skipped, 0u);
    EXPECT_EQ(d.next_slot_ms, 1'774'830'600'000u);  // 02:30 CEST
}

TEST_F(PeriodicSchedule, CronDueAcrossTheAutumnRepeat) {
    // Paris, 02:30 daily; fired 2026-10-24 02:30 CEST (00:30 UTC). On 2026-10-25 02:30 comes
    // at 00:30 UTC (CEST) and again at 01:30 UTC (CET); looked at 01:45 UTC, one slot is due
    const periodic_schedule s = periodic_schedule::parse("cron 30 2 * * *", "Europe/Paris");
    due_slots d = slots_due(s, anchor, 1'792'801'800'000, 1'792'892'700'000);
    EXPECT_EQ(d.run_slot_ms, 1'792'888'200'000u);
    EXPECT_EQ(d.skipped, 0u);
    EXPECT_EQ(d.next_slot_ms, 1'792'978'200'000u);  // 02:30 CET
    // Fired at the first 02:30: the second is no slot
    d = slots_due(s, anchor, 1'792'888'200'000, 1'792'892'700'000);
    EXPECT_EQ(d.run_slot_ms, std::nullopt);
    EXPECT_EQ(d.skipped, 0u);
}

}  // namespace
