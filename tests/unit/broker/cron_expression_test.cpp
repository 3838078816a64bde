#include "schedule/cron_expression.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "schedule/time_zone.hpp"

namespace {

using shoal::broker::cron_expression;
using shoal::broker::schedule_error;
using shoal::broker::time_zone;

// Expected instants are unix epoch ms written out, each with its civil time in a comment
// (UTC unless a zone is named), so a wrong calendar computation cannot hide in a helper.

std::optional<std::uint64_t> next_in(std::string_view expr, std::uint64_t after_ms,
                                     const time_zone& tz) {
    return cron_expression::parse(expr).next_after(after_ms, tz);
}

std::optional<std::uint64_t> next_utc(std::string_view expr, std::uint64_t after_ms) {
    return next_in(expr, after_ms, time_zone::utc());
}

// The message parse() throws for `expr`, or "" when it parses.
std::string parse_error(std::string_view expr) {
    try {
        (void)cron_expression::parse(expr);
    } catch (const schedule_error& e) {
        return e.what();
    }
    return "";
}

class CronExpression : public ::testing::Test {
  protected:
    const time_zone paris = time_zone::named("Europe/Paris");
    const time_zone new_york = time_zone::named("America/New_York");
};

// ---- field syntax ---------------------------------------------------------------------------

TEST_F(CronExpression, StarMatchesTheNextMinute) {
    // 2026-01-01 00:00:00.000 -> 00:01
    EXPECT_EQ(next_utc("* * * * *", 1'767'225'600'000), 1'767'225'660'000u);
}

TEST_F(CronExpression, NextAfterIsStrictAndIgnoresSecondsAndMilliseconds) {
    // after 00:01:00.000 exactly -> 00:02; after 00:01:59.999 -> 00:02; after 00:01:00.001 -> 00:02
    EXPECT_EQ(next_utc("* * * * *", 1'767'225'660'000), 1'767'225'720'000u);
    EXPECT_EQ(next_utc("* * * * *", 1'767'225'719'999), 1'767'225'720'000u);
    EXPECT_EQ(next_utc("* * * * *", 1'767'225'660'001), 1'767'225'720'000u);
    // after 00:00:59.999 -> 00:01, the very next millisecond
    EXPECT_EQ(next_utc("* * * * *", 1'767'225'659'999), 1'767'225'660'000u);
}

TEST_F(CronExpression, SingleValuesPickOneMinuteADay) {
    // 2026-03-10 12:00 -> 14:30 the same day; from 14:30 -> 2026-03-11 14:30
    EXPECT_EQ(next_utc("30 14 * * *", 1'773'144'000'000), 1'773'153'000'000u);
    EXPECT_EQ(next_utc("30 14 * * *", 1'773'153'000'000), 1'773'239'400'000u);
    // Leading zeros are numbers too: 2026-03-10 12:00 -> 14:05
    EXPECT_EQ(next_utc("05 014 * * *", 1'773'144'000'000), 1'773'151'500'000u);
}

TEST_F(CronExpression, RangesIncludeBothEnds) {
    // 0 9-17: from 2026-03-10 16:30 -> 17:00; from 17:00 -> 2026-03-11 09:00
    EXPECT_EQ(next_utc("0 9-17 * * *", 1'773'160'200'000), 1'773'162'000'000u);
    EXPECT_EQ(next_utc("0 9-17 * * *", 1'773'162'000'000), 1'773'219'600'000u);
    // 0-59 is every minute: 10:00 -> 10:01
    EXPECT_EQ(next_utc("0-59 * * * *", 1'773'136'800'000), 1'773'136'860'000u);
}

TEST_F(CronExpression, ListsMixValuesAndRanges) {
    // 0,15,40-41: 10:16 -> 10:40; 10:40 -> 10:41; 10:41 -> 11:00
    EXPECT_EQ(next_utc("0,15,40-41 * * * *", 1'773'137'760'000), 1'773'139'200'000u);
    EXPECT_EQ(next_utc("0,15,40-41 * * * *", 1'773'139'200'000), 1'773'139'260'000u);
    EXPECT_EQ(next_utc("0,15,40-41 * * * *", 1'773'139'260'000), 1'773'140'400'000u);
}

TEST_F(CronExpression, StarStepsCountFromTheFieldsStart) {
    // */15: 10:07 -> 10:15; 10:45 -> 11:00
    EXPECT_EQ(next_utc("*/15 * * * *", 1'773'137'220'000), 1'773'137'700'000u);
    EXPECT_EQ(next_utc("*/15 * * * *", 1'773'139'500'000), 1'773'140'400'000u);
    // 0 */6: hours 0, 6, 12, 18; 07:00 -> 12:00; 18:00 -> next day 00:00
    EXPECT_EQ(next_utc("0 */6 * * *", 1'773'126'000'000), 1'773'144'000'000u);
    EXPECT_EQ(next_utc("0 */6 * * *", 1'773'165'600'000), 1'773'187'200'000u);
    // 0 0 */10: days 1, 11, 21, 31; from 2026-03-21 00:00 -> 2026-03-31
    EXPECT_EQ(next_utc("0 0 */10 * *", 1'774'051'200'000), 1'774'915'200'000u);
}

TEST_F(CronExpression, RangeStepsCountFromTheRangesStart) {
    // 10-50/20 is 10, 30, 50: 10:31 -> 10:50; 10:50 -> 11:10
    EXPECT_EQ(next_utc("10-50/20 * * * *", 1'773'138'660'000), 1'773'139'800'000u);
    EXPECT_EQ(next_utc("10-50/20 * * * *", 1'773'139'800'000), 1'773'141'000'000u);
    // 5-59/30 is 5 and 35: 10:06 -> 10:35
    EXPECT_EQ(next_utc("5-59/30 * * * *", 1'773'137'160'000), 1'773'138'900'000u);
}

TEST_F(CronExpression, MonthNamesAreCaseInsensitive) {
    // JAN,jul: from 2026-02-01 -> 2026-07-01 00:00
    EXPECT_EQ(next_utc("0 0 1 JAN,jul *", 1'769'904'000'000), 1'782'864'000'000u);
    // Names take steps: jan-dec/3 is jan, apr, jul, oct; from 2026-04-01 -> 2026-07-01
    EXPECT_EQ(next_utc("0 0 1 jan-dec/3 *", 1'775'001'600'000), 1'782'864'000'000u);
    EXPECT_EQ(cron_expression::parse("0 0 1 Mar-MAY *"), cron_expression::parse("0 0 1 3-5 *"));
}

TEST_F(CronExpression, DayNamesAndWeekdayRanges) {
    // mon-fri at 09:00: Friday 2026-03-13 10:00 -> Monday 2026-03-16 09:00
    EXPECT_EQ(next_utc("0 9 * * mon-fri", 1'773'396'000'000), 1'773'651'600'000u);
    // Wednesday 2026-03-11 08:00 -> the same day 09:00
    EXPECT_EQ(next_utc("0 9 * * MON-Fri", 1'773'216'000'000), 1'773'219'600'000u);
    EXPECT_EQ(cron_expression::parse("0 9 * * mon-fri"), cron_expression::parse("0 9 * * 1-5"));
}

TEST_F(CronExpression, SundayIsZeroAndSeven) {
    // Wednesday 2026-03-11 -> Sunday 2026-03-15 00:00, whichever way Sunday is written
    for (const char* e : {"0 0 * * 0", "0 0 * * 7", "0 0 * * sun", "0 0 * * SUN"}) {
        EXPECT_EQ(next_utc(e, 1'773'187'200'000), 1'773'532'800'000u) << e;
    }
    EXPECT_EQ(cron_expression::parse("0 0 * * 7"), cron_expression::parse("0 0 * * 0"));
    // 5-7 is Friday, Saturday, Sunday: Sunday 2026-03-15 00:00 -> Friday 2026-03-20
    EXPECT_EQ(next_utc("0 0 * * 5-7", 1'773'532'800'000), 1'773'964'800'000u);
    // */2 over 0-7 is Sunday, Tuesday, Thursday, Saturday: Sunday 03-15 -> Tuesday 03-17
    EXPECT_EQ(next_utc("0 0 * * */2", 1'773'532'800'000), 1'773'705'600'000u);
}

TEST_F(CronExpression, MacrosAreTheirExpansions) {
    const std::pair<const char*, const char*> macros[] = {
        {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"}, {"@DAILY", "0 0 * * *"},
    };
    for (const auto& [macro, fields] : macros) {
        EXPECT_EQ(cron_expression::parse(macro), cron_expression::parse(fields)) << macro;
    }
}

TEST_F(CronExpression, MacrosFire) {
    // from Wednesday 2026-03-11 10:30
    EXPECT_EQ(next_utc("@yearly", 1'773'225'000'000), 1'798'761'600'000u);
    EXPECT_EQ(next_utc("@monthly", 1'773'225'000'000), 1'775'001'600'000u);
    EXPECT_EQ(next_utc("@weekly", 1'773'225'000'000), 1'773'532'800'000u);  // Sunday
    EXPECT_EQ(next_utc("@daily", 1'773'225'000'000), 1'773'273'600'000u);
    EXPECT_EQ(next_utc("@hourly", 1'773'225'000'000), 1'773'226'800'000u);
}

TEST_F(CronExpression, TextIsTheExpressionWithItsBlanksTidied) {
    EXPECT_EQ(cron_expression::parse("  0   9 *\t* mon-fri ").text(), "0 9 * * mon-fri");
    EXPECT_EQ(cron_expression::parse(" @Daily ").text(), "@Daily");
    const auto e = cron_expression::parse("0\t9  1-5 jan  MON");
    EXPECT_EQ(cron_expression::parse(e.text()), e);
    EXPECT_EQ(e.text(), "0 9 1-5 jan MON");
}

TEST_F(CronExpression, EqualityComparesTheScheduleNotTheText) {
    EXPECT_EQ(cron_expression::parse("0 * * * *"), cron_expression::parse("@hourly"));
    EXPECT_EQ(cron_expression::parse("0,1,2 * * * *"), cron_expression::parse("0-2 * * * *"));
    EXPECT_NE(cron_expression::parse("0 * * * *"), cron_expression::parse("1 * * * *"));
    // Not the same schedule: a day-of-month that starts with '*' changes the day rule.
    EXPECT_NE(cron_expression::parse("0 0 */1 * mon"), cron_expression::parse("0 0 1-31 * mon"));
}

// ---- the calendar ---------------------------------------------------------------------------

TEST_F(CronExpression, The31stSkipsShortMonths) {
    // From 2026-01-31 -> 2026-03-31 (no Feb 31); from 2026-03-31 -> 2026-05-31 (no Apr 31)
    EXPECT_EQ(next_utc("0 0 31 * *", 1'769'817'600'000), 1'774'915'200'000u);
    EXPECT_EQ(next_utc("0 0 31 * *", 1'774'915'200'000), 1'780'185'600'000u);
    // From 2026-07-31 -> 2026-08-31 (July and August both have 31 days)
    EXPECT_EQ(next_utc("0 0 31 * *", 1'785'456'000'000), 1'788'134'400'000u);
    // The 30th skips February only: 2026-01-30 -> 2026-03-30
    EXPECT_EQ(next_utc("0 0 30 * *", 1'769'731'200'000), 1'774'828'800'000u);
}

TEST_F(CronExpression, YearAndMonthBoundariesRollOver) {
    // 2026-12-31 23:59 -> 2027-01-01 00:00
    EXPECT_EQ(next_utc("* * * * *", 1'798'761'540'000), 1'798'761'600'000u);
    // 23:59 on the last of February 2026 -> 2026-03-01 00:00
    EXPECT_EQ(next_utc("0 0 * * *", 1'772'323'140'000), 1'772'323'200'000u);
}

TEST_F(CronExpression, LeapDayWaitsForALeapYear) {
    // 2026-01-01 -> 2028-02-29; then 2028-02-29 -> 2032-02-29
    EXPECT_EQ(next_utc("0 0 29 2 *", 1'767'225'600'000), 1'835'395'200'000u);
    EXPECT_EQ(next_utc("0 0 29 2 *", 1'835'395'200'000), 1'961'625'600'000u);
    // Every day of February: 2028-02-28 00:00 -> 2028-02-29 (leap), 2026-02-28 -> 2027-02-01
    EXPECT_EQ(next_utc("0 0 * 2 *", 1'835'308'800'000), 1'835'395'200'000u);
    EXPECT_EQ(next_utc("0 0 * 2 *", 1'772'236'800'000), 1'801'440'000'000u);
}

TEST_F(CronExpression, LeapDayAcrossACenturyThatSkipsItsLeapYear) {
    // 2100 is not a leap year: 2096-02-29 -> 2104-02-29, eight years on, inside the horizon.
    EXPECT_EQ(next_utc("0 0 29 2 *", 3'981'312'000'000), 4'233'686'400'000u);
}

TEST_F(CronExpression, ADateThatNeverOccursFindsNothing) {
    EXPECT_EQ(next_utc("0 0 30 2 *", 1'767'225'600'000), std::nullopt);
    EXPECT_EQ(next_utc("0 0 31 4,6,9,11 *", 1'767'225'600'000), std::nullopt);
    EXPECT_EQ(next_in("0 0 30 2 *", 1'767'225'600'000, paris), std::nullopt);
}

TEST_F(CronExpression, NothingPastTheYear9999) {
    // 9999-06-01 -> 9999-12-01 still; 10000-01-01 00:00 and later: nullopt
    EXPECT_EQ(next_utc("0 0 1 12 *", 253'383'811'200'000), 253'399'622'400'000u);
    EXPECT_EQ(next_utc("0 0 1 1 *", 253'383'811'200'000), std::nullopt);
    EXPECT_EQ(next_utc("* * * * *", 253'402'300'800'000u), std::nullopt);
    EXPECT_EQ(next_utc("* * * * *", UINT64_MAX), std::nullopt);
}

TEST_F(CronExpression, TheEpochAndZonesBehindUtc) {
    // Local time before 1970: 1970-01-01 00:00 EST is 05:00 UTC
    EXPECT_EQ(next_in("0 0 * * *", 0, new_york), 18'000'000u);
    // 1969-12-31 19:00 EST is the epoch; the next 19:xx minute is 19:01
    EXPECT_EQ(next_in("* 19 * * *", 0, new_york), 60'000u);
}

// ---- day-of-month and day-of-week -------------------------------------------------------

TEST_F(CronExpression, BothDayFieldsRestrictedMatchEitherOne) {
    // "the 13th, and every Friday": Saturday 2026-04-11 -> Monday 04-13 (the 13th), then
    // Friday 04-17
    EXPECT_EQ(next_utc("0 0 13 * fri", 1'775'865'600'000), 1'776'038'400'000u);
    EXPECT_EQ(next_utc("0 0 13 * fri", 1'776'038'400'000), 1'776'384'000'000u);
    // Leap day or a Monday in February: 2028-02-01 (Tuesday) -> Monday 2028-02-07
    EXPECT_EQ(next_utc("0 0 29 2 mon", 1'832'976'000'000), 1'833'494'400'000u);
}

TEST_F(CronExpression, AStarDayFieldLeavesTheOtherAlone) {
    // The 13th only: Saturday 2026-04-11 -> Monday 04-13 -> 2026-05-13
    EXPECT_EQ(next_utc("0 0 13 * *", 1'776'038'400'000), 1'778'630'400'000u);
    // Fridays only: 2026-04-13 -> 04-17 -> 04-24
    EXPECT_EQ(next_utc("0 0 * * fri", 1'776'384'000'000), 1'776'988'800'000u);
}

TEST_F(CronExpression, AStarWithAStepStillMeansBothMustMatch) {
    // Vixie cron: "*/2" starts with '*', so odd days AND Mondays. March 2026's Mondays are
    // 2, 9, 16, 23, 30: from 2026-03-01 -> 03-09, then 03-23
    EXPECT_EQ(next_utc("0 0 */2 * mon", 1'772'323'200'000), 1'773'014'400'000u);
    EXPECT_EQ(next_utc("0 0 */2 * mon", 1'773'014'400'000), 1'774'224'000'000u);
    // 1-31/2 does not start with '*': odd days OR Mondays: 2026-03-01 -> Monday 03-02
    EXPECT_EQ(next_utc("0 0 1-31/2 * mon", 1'772'323'200'000), 1'772'409'600'000u);
}

// ---- errors ---------------------------------------------------------------------------------

TEST_F(CronExpression, EmptyTextAndWrongFieldCounts) {
    EXPECT_EQ(parse_error(""), "cron expression is empty");
    EXPECT_EQ(parse_error(" \t "), "cron expression is empty");
    EXPECT_EQ(parse_error("0 9 * *"),
              "cron expression '0 9 * *': expected 5 fields (minute hour day-of-month month "
              "day-of-week), found 4");
    // Six fields, as Quartz or Spring write seconds first
    EXPECT_EQ(parse_error("0 0 9 * * *"),
              "cron expression '0 0 9 * * *': expected 5 fields (minute hour day-of-month month "
              "day-of-week), found 6");
}

TEST_F(CronExpression, ValuesOutOfRangeNameTheirField) {
    EXPECT_EQ(parse_error("60 * * * *"), "cron field 1 (minute) '60': out of range 0-59");
    EXPECT_EQ(parse_error("0 25 * * *"), "cron field 2 (hour) '25': out of range 0-23");
    EXPECT_EQ(parse_error("0 0 0 * *"), "cron field 3 (day-of-month) '0': out of range 1-31");
    EXPECT_EQ(parse_error("0 0 32 * *"), "cron field 3 (day-of-month) '32': out of range 1-31");
    EXPECT_EQ(parse_error("0 0 1 13 *"), "cron field 4 (month) '13': out of range 1-12");
    EXPECT_EQ(parse_error("0 0 1 0 *"), "cron field 4 (month) '0': out of range 1-12");
    EXPECT_EQ(parse_error("0 0 * * 8"), "cron field 5 (day-of-week) '8': out of range 0-7");
    EXPECT_EQ(parse_error("99999999999 * * * *"),
              "cron field 1 (minute) '99999999999': out of range 0-59");
}

TEST_F(CronExpression, AnErrorInsideAListQuotesTheItem) {
    EXPECT_EQ(parse_error("0 1,25 * * *"), "cron field 2 (hour) '1,25': '25' is out of range 0-23");
    EXPECT_EQ(parse_error("0 20-24 * * *"),
              "cron field 2 (hour) '20-24': '24' is out of range 0-23");
    EXPECT_EQ(parse_error("0 0 * * 1,8-9"),
              "cron field 5 (day-of-week) '1,8-9': '8' is out of range 0-7");
}

TEST_F(CronExpression, WordsThatAreNoNumbersOrNames) {
    EXPECT_EQ(parse_error("x * * * *"), "cron field 1 (minute) 'x': not a number");
    // Names belong to their own field only
    EXPECT_EQ(parse_error("0 mon * * *"), "cron field 2 (hour) 'mon': not a number");
    EXPECT_EQ(parse_error("0 0 1 foo *"),
              "cron field 4 (month) 'foo': not a number or a month name (jan-dec)");
    EXPECT_EQ(parse_error("0 0 * * funday"),
              "cron field 5 (day-of-week) 'funday': not a number or a day name (sun-sat)");
    EXPECT_EQ(parse_error("0 0 * jan mon-friday"),
              "cron field 5 (day-of-week) 'mon-friday': 'friday' is not a number or a day name "
              "(sun-sat)");
    EXPECT_EQ(parse_error("0 0 * * sun,mon"), "");
}

TEST_F(CronExpression, MalformedRangesAndLists) {
    EXPECT_EQ(parse_error("0 17-9 * * *"),
              "cron field 2 (hour) '17-9': a reversed range (write the smaller value first)");
    EXPECT_EQ(parse_error("0 0 * * fri-mon"),
              "cron field 5 (day-of-week) 'fri-mon': a reversed range (write the smaller value "
              "first)");
    EXPECT_EQ(parse_error("5- * * * *"), "cron field 1 (minute) '5-': missing a value");
    EXPECT_EQ(parse_error("-5 * * * *"), "cron field 1 (minute) '-5': missing a value");
    EXPECT_EQ(parse_error("1-2-3 * * * *"), "cron field 1 (minute) '1-2-3': '2-3' is not a number");
    EXPECT_EQ(parse_error("1,,2 * * * *"), "cron field 1 (minute) '1,,2': has an empty list item");
    EXPECT_EQ(parse_error("1, * * * *"), "cron field 1 (minute) '1,': has an empty list item");
    EXPECT_EQ(parse_error("*-5 * * * *"),
              "cron field 1 (minute) '*-5': not a range: '*' stands alone or as */S");
    EXPECT_EQ(parse_error("0 0 1,5-* * *"),
              "cron field 3 (day-of-month) '1,5-*': '5-*' is not a range: '*' stands alone or "
              "as */S");
    // A '*' among other items is allowed, as in Vixie cron: it matches everything
    EXPECT_EQ(cron_expression::parse("0 0 1,* * *"), cron_expression::parse("0 0 1-31 * *"));
}

TEST_F(CronExpression, MalformedSteps) {
    EXPECT_EQ(parse_error("*/0 * * * *"),
              "cron field 1 (minute) '*/0': a step of 0 (a step is at least 1)");
    EXPECT_EQ(parse_error("*/60 * * * *"),
              "cron field 1 (minute) '*/60': a step of 60, wider than the field's range 0-59");
    EXPECT_EQ(parse_error("*/x * * * *"), "cron field 1 (minute) '*/x': 'x' is not a number");
    EXPECT_EQ(parse_error("*/ * * * *"), "cron field 1 (minute) '*/': missing its step after '/'");
    EXPECT_EQ(parse_error("*/2/3 * * * *"), "cron field 1 (minute) '*/2/3': '2/3' is not a number");
    // A step needs a range to walk: Vixie cron rejects 5/15 too; the message says what works.
    EXPECT_EQ(parse_error("5/15 * * * *"),
              "cron field 1 (minute) '5/15': a step without a range (write 5-59/15)");
    EXPECT_EQ(parse_error("0 0 * * mon/2"),
              "cron field 5 (day-of-week) 'mon/2': a step without a range (write mon-7/2)");
    // The widest step that still picks two values is allowed: minutes 0 and 59
    EXPECT_EQ(next_utc("*/59 * * * *", 1'773'136'800'000), 1'773'140'340'000u);
}

TEST_F(CronExpression, UnknownAndMisusedMacros) {
    EXPECT_EQ(parse_error("@reboot"),
              "cron macro '@reboot' is not supported (use @yearly, @annually, @monthly, "
              "@weekly, @daily, @midnight or @hourly)");
    EXPECT_EQ(parse_error("@daily 5"), "cron expression '@daily 5': a macro (@daily) stands alone");
    EXPECT_EQ(parse_error("@ * * * *"), "cron expression '@ * * * *': a macro (@) stands alone");
}

// ---- time zones -----------------------------------------------------------------------------

TEST_F(CronExpression, ZonesAreNamedAndUnknownOnesRejected) {
    EXPECT_EQ(time_zone::utc().name(), "UTC");
    EXPECT_EQ(time_zone::named("UTC"), time_zone::utc());
    EXPECT_EQ(paris.name(), "Europe/Paris");
    EXPECT_NE(paris, new_york);
    EXPECT_THROW((void)time_zone::named("Mars/Olympus_Mons"), schedule_error);
    try {
        (void)time_zone::named("Europe/Atlantis");
        ADD_FAILURE() << "no throw";
    } catch (const schedule_error& e) {
        EXPECT_STREQ(e.what(), "time zone 'Europe/Atlantis' is not in the time zone database");
    }
    // Only names the database lists: not a path to another file
    EXPECT_THROW((void)time_zone::named("../../../etc/passwd"), schedule_error);
    EXPECT_THROW((void)time_zone::named(""), schedule_error);
    EXPECT_THROW((void)time_zone::named("utc"), schedule_error);  // names are case-sensitive
}

TEST_F(CronExpression, AZonePeriodIsASpanOfOneOffset) {
    // Paris's summer time 2026: from 2026-03-29 01:00 UTC to 2026-10-25 01:00 UTC, at +2h
    const auto summer =
        paris.period_at(std::chrono::sys_seconds{std::chrono::seconds{1'783'000'000}});
    EXPECT_EQ(summer.begin.time_since_epoch().count(), 1'774'746'000);  // 2026-03-29 01:00
    EXPECT_EQ(summer.end.time_since_epoch().count(), 1'792'890'000);    // 2026-10-25 01:00
    EXPECT_EQ(summer.offset.count(), 7200);
    const auto utc = time_zone::utc().period_at(std::chrono::sys_seconds{});
    EXPECT_EQ(utc.offset.count(), 0);
}

TEST_F(CronExpression, MinutesAreReadOnTheZonesClock) {
    // 09:00 in Paris is 08:00 UTC in winter (CET, +1) and 07:00 UTC in summer (CEST, +2)
    EXPECT_EQ(next_in("0 9 * * *", 1'768'435'200'000, paris), 1'768'464'000'000u);
    EXPECT_EQ(next_in("0 9 * * *", 1'784'073'600'000, paris), 1'784'098'800'000u);
    // Weekdays at 09:00 in New York across its spring change: Friday 2026-03-06 09:00 EST
    // (14:00 UTC), then Monday 2026-03-09 09:00 EDT (13:00 UTC)
    EXPECT_EQ(next_in("0 9 * * mon-fri", 1'772'755'200'000, new_york), 1'772'805'600'000u);
    EXPECT_EQ(next_in("0 9 * * mon-fri", 1'772'805'600'000, new_york), 1'773'061'200'000u);
    // The local date decides the day: Sunday 2026-03-15 23:30 UTC is already Monday 00:30 in
    // Paris, so "mondays at 00:30" fires then
    EXPECT_EQ(next_in("30 0 * * mon", 1'773'532'800'000, paris), 1'773'617'400'000u);
}

// ---- daylight saving: fixed-time expressions ------------------------------------------------

TEST_F(CronExpression, ParisSpringGapFiresOnceAsTheGapEnds) {
    // 2026-03-29: Paris goes from 02:00 CET to 03:00 CEST at 01:00 UTC; 02:30 does not exist.
    // It fires at the first instant after the gap, 03:00 CEST (01:00 UTC) ...
    EXPECT_EQ(next_in("30 2 * * *", 1'774'699'200'000, paris), 1'774'746'000'000u);
    // ... once: next is 2026-03-30 02:30 CEST (00:30 UTC)
    EXPECT_EQ(next_in("30 2 * * *", 1'774'746'000'000, paris), 1'774'830'600'000u);
    // 02:00 itself does not exist either
    EXPECT_EQ(next_in("0 2 * * *", 1'774'699'200'000, paris), 1'774'746'000'000u);
    // From the last instant before the change, 00:59:59.999 UTC (01:59:59.999 CET)
    EXPECT_EQ(next_in("30 2 * * *", 1'774'745'999'999, paris), 1'774'746'000'000u);
}

TEST_F(CronExpression, ParisSpringGapTimeAndTheFirstTimeAfterItFireTogetherOnce) {
    // 02:30 (missing) and 03:00 CEST (the first after the gap) are the same instant, 01:00 UTC
    EXPECT_EQ(next_in("0,30 2-3 * * *", 1'774'742'400'000, paris), 1'774'746'000'000u);
    // then 03:30 CEST, 01:30 UTC
    EXPECT_EQ(next_in("0,30 2-3 * * *", 1'774'746'000'000, paris), 1'774'747'800'000u);
    // Times on either side are plain: 01:30 CET is 00:30 UTC, 03:30 CEST is 01:30 UTC
    EXPECT_EQ(next_in("30 1 * * *", 1'774'742'400'000, paris), 1'774'744'200'000u);
    EXPECT_EQ(next_in("30 3 * * *", 1'774'742'400'000, paris), 1'774'747'800'000u);
}

TEST_F(CronExpression, ParisAutumnRepeatFiresOnceAtTheFirstOccurrence) {
    // 2026-10-25: Paris goes from 03:00 CEST back to 02:00 CET at 01:00 UTC; 02:30 happens
    // at 00:30 UTC (CEST) and again at 01:30 UTC (CET). It fires at the first only.
    EXPECT_EQ(next_in("30 2 * * *", 1'792'843'200'000, paris), 1'792'888'200'000u);
    // next: 2026-10-26 02:30 CET, 01:30 UTC; not 01:30 UTC on the 25th
    EXPECT_EQ(next_in("30 2 * * *", 1'792'888'200'000, paris), 1'792'978'200'000u);
    // Looking from inside the repeat (02:10 CET, 01:10 UTC) does not fire 02:30 again
    EXPECT_EQ(next_in("30 2 * * *", 1'792'890'600'000, paris), 1'792'978'200'000u);
    // Looking from the very change (01:00 UTC) neither
    EXPECT_EQ(next_in("30 2 * * *", 1'792'890'000'000, paris), 1'792'978'200'000u);
    // 03:00 comes once, as CET: 02:00 UTC
    EXPECT_EQ(next_in("0 3 * * *", 1'792'886'400'000, paris), 1'792'893'600'000u);
}

TEST_F(CronExpression, NewYorkSpringGapFiresOnceAsTheGapEnds) {
    // 2026-03-08: New York goes from 02:00 EST to 03:00 EDT at 07:00 UTC; 02:30 does not
    // exist and fires at 03:00 EDT, 07:00 UTC
    EXPECT_EQ(next_in("30 2 * * *", 1'772'884'800'000, new_york), 1'772'953'200'000u);
    // next: 2026-03-09 02:30 EDT, 06:30 UTC
    EXPECT_EQ(next_in("30 2 * * *", 1'772'953'200'000, new_york), 1'773'037'800'000u);
}

TEST_F(CronExpression, NewYorkAutumnRepeatFiresOnceAtTheFirstOccurrence) {
    // 2026-11-01: New York goes from 02:00 EDT back to 01:00 EST at 06:00 UTC; 01:30 happens
    // at 05:30 UTC (EDT) and 06:30 UTC (EST). It fires at 05:30 UTC only ...
    EXPECT_EQ(next_in("30 1 * * *", 1'793'448'000'000, new_york), 1'793'511'000'000u);
    // ... then 2026-11-02 01:30 EST, 06:30 UTC
    EXPECT_EQ(next_in("30 1 * * *", 1'793'511'000'000, new_york), 1'793'601'000'000u);
    EXPECT_EQ(next_in("30 1 * * *", 1'793'513'700'000, new_york), 1'793'601'000'000u);
    // Every minute of a fixed hour: 01:59 EDT (05:59 UTC), then the repeated 01:00-01:59 EST
    // is skipped: the next is 2026-11-02 01:00 EST (06:00 UTC)
    EXPECT_EQ(next_in("0-59 1 * * *", 1'793'512'680'000, new_york), 1'793'512'740'000u);
    EXPECT_EQ(next_in("0-59 1 * * *", 1'793'512'740'000, new_york), 1'793'599'200'000u);
}

TEST_F(CronExpression, HalfHourDaylightSavingInLordHowe) {
    // Lord Howe Island moves its clock by 30 minutes: 2026-10-04 02:00 +10:30 becomes 02:30
    // +11 at 2026-10-03 15:30 UTC; 02:15 does not exist and fires then
    const time_zone lord_howe = time_zone::named("Australia/Lord_Howe");
    EXPECT_EQ(next_in("15 2 * * *", 1'791'028'800'000, lord_howe), 1'791'041'400'000u);
    // 02:45 exists: 15:45 UTC
    EXPECT_EQ(next_in("45 2 * * *", 1'791'028'800'000, lord_howe), 1'791'042'300'000u);
}

// ---- daylight saving: wildcard expressions ------------------------------------------------

TEST_F(CronExpression, WildcardsFollowTheClockThroughTheSpringGap) {
    // Paris 2026-03-29: @hourly fires at 01:00 CET (00:00 UTC), then 03:00 CEST (01:00 UTC):
    // one hour apart, as the clock runs
    EXPECT_EQ(next_in("@hourly", 1'774'740'600'000, paris), 1'774'742'400'000u);
    EXPECT_EQ(next_in("@hourly", 1'774'742'400'000, paris), 1'774'746'000'000u);
    // "30 * * * *": 01:30 CET (00:30 UTC), then 03:30 CEST (01:30 UTC); 02:30 does not exist
    // and, the expression being a wildcard, does not fire at 03:00
    EXPECT_EQ(next_in("30 * * * *", 1'774'744'200'000, paris), 1'774'747'800'000u);
    // "*/15 2 * * *" (every quarter of 02:xx) finds no 02:xx that day: next is 2026-03-30
    // 02:00 CEST, 00:00 UTC
    EXPECT_EQ(next_in("*/15 2 * * *", 1'774'699'200'000, paris), 1'774'828'800'000u);
}

TEST_F(CronExpression, WildcardsFireAgainInTheAutumnRepeat) {
    // Paris 2026-10-25: */30 fires at 02:30 CEST (00:30 UTC), then 02:00 CET (01:00 UTC),
    // 02:30 CET (01:30 UTC): every half hour as the clock runs
    EXPECT_EQ(next_in("*/30 * * * *", 1'792'888'200'000, paris), 1'792'890'000'000u);
    EXPECT_EQ(next_in("*/30 * * * *", 1'792'890'000'000, paris), 1'792'891'800'000u);
    // New York 2026-11-01: "15 * * * *" fires at 01:15 EDT (05:15 UTC) and 01:15 EST (06:15 UTC)
    EXPECT_EQ(next_in("15 * * * *", 1'793'510'100'000, new_york), 1'793'513'700'000u);
    // "0 */2 * * *" (hour starts with '*'): 02:00 CEST (00:00 UTC) and 02:00 CET (01:00 UTC)
    EXPECT_EQ(next_in("0 */2 * * *", 1'792'884'600'000, paris), 1'792'886'400'000u);
    EXPECT_EQ(next_in("0 */2 * * *", 1'792'886'400'000, paris), 1'792'890'000'000u);
}

}  // namespace
