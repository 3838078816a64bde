#include "schedule/cron_expression.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <span>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace shoal::broker {

namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::months;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_seconds;
using std::chrono::weekday;
using std::chrono::year_month;
using std::chrono::year_month_day;

// ---- parsing -------------------------------------------------------------------------------

constexpr std::array<std::string_view, 12> month_names{"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> weekday_names{"sun", "mon", "tue", "wed",
                                                        "thu", "fri", "sat"};

// One of the five fields: its values run from low to high; names[i], when there are names,
// stands for low + i.
struct field_rule {
    std::string_view name;
    unsigned low;
    unsigned high;
    std::span<const std::string_view> names;
    std::string_view names_hint;  // for the error message of a word that is no name
};

constexpr std::size_t field_count = 5;
constexpr std::array<field_rule, field_count> field_rules{{
    {"minute", 0, 59, {}, ""},
    {"hour", 0, 23, {}, ""},
    {"day-of-month", 1, 31, {}, ""},
    {"month", 1, 12, month_names, " or a month name (jan-dec)"},
    {"day-of-week", 0, 7, weekday_names, " or a day name (sun-sat)"},
}};
enum field_index : std::size_t { minute_field, hour_field, day_field, month_field, weekday_field };

struct macro {
    std::string_view name;
    std::string_view fields;
};
constexpr std::array<macro, 7> macros{{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::vector<std::string_view> split_blanks(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_blank(text[i])) ++i;
        const std::size_t start = i;
        while (i < text.size() && !is_blank(text[i])) ++i;
        if (i > start) words.push_back(text.substr(start, i - start));
    }
    return words;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

// Reads one field's text into a set of values, bit v for value v. Every error names the
// field by position and name and quotes its text, and the item at fault when the field has
// more than one.
class field_parser {
  public:
    field_parser(std::size_t index, std::string_view text) noexcept
        : index_(index), rule_(field_rules[index]), text_(text) {}

    std::uint64_t parse() const {
        std::uint64_t bits = 0;
        std::size_t start = 0;
        while (true) {
            const std::size_t comma = text_.find(',', start);
            const std::string_view item = text_.substr(start, comma - start);
            if (item.empty()) fail("", "has an empty list item");
            bits |= parse_item(item);
            if (comma == std::string_view::npos) return bits;
            start = comma + 1;
        }
    }

  private:
    [[noreturn]] void fail(std::string_view token, std::string_view problem) const {
        // The token is left out when it is the whole field, already quoted.
        const std::string what = token.empty() || token == text_
                                     ? std::string{problem}
                                     : fmt::format("'{}' is {}", token, problem);
        throw schedule_error(
            fmt::format("cron field {} ({}) '{}': {}", index_ + 1, rule_.name, text_, what));
    }

    // "*", "N", "A-B", each with an optional "/S".
    std::uint64_t parse_item(std::string_view item) const {
        const std::size_t slash = item.find('/');
        const std::string_view range = item.substr(0, slash);
        unsigned first = rule_.low;
        unsigned last = rule_.high;
        if (range != "*") {
            if (range.find('*') != std::string_view::npos) {
                fail(item, "not a range: '*' stands alone or as */S");
            }
            const std::size_t dash = range.find('-');
            first = value(range.substr(0, dash), item);
            last = dash == std::string_view::npos ? first : value(range.substr(dash + 1), item);
            if (first > last) fail(item, "a reversed range (write the smaller value first)");
            if (dash == std::string_view::npos && slash != std::string_view::npos) {
                // Vixie cron rejects it too; saying what was probably meant helps.
                fail(item, fmt::format("a step without a range (write {}-{}{})", range, rule_.high,
                                       item.substr(slash)));
            }
        }
        const unsigned step =
            slash == std::string_view::npos ? 1 : parse_step(item.substr(slash + 1), item);
        std::uint64_t bits = 0;
        for (unsigned v = first; v <= last; v += step) bits |= std::uint64_t{1} << v;
        return bits;
    }

    unsigned value(std::string_view word, std::string_view item) const {
        if (word.empty()) fail(item, "missing a value");
        for (std::size_t i = 0; i < rule_.names.size(); ++i) {
            if (iequals(word, rule_.names[i])) return rule_.low + static_cast<unsigned>(i);
        }
        const unsigned v = number(word, fmt::format("not a number{}", rule_.names_hint));
        if (v < rule_.low || v > rule_.high) {
            fail(word, fmt::format("out of range {}-{}", rule_.low, rule_.high));
        }
        return v;
    }

    unsigned parse_step(std::string_view word, std::string_view item) const {
        if (word.empty()) fail(item, "missing its step after '/'");
        const unsigned step = number(word, "not a number");
        if (step == 0) fail(item, "a step of 0 (a step is at least 1)");
        if (step > rule_.high - rule_.low) {
            // Such a step can only ever pick the range's first value: surely a mistake.
            fail(item, fmt::format("a step of {}, wider than the field's range {}-{}", step,
                                   rule_.low, rule_.high));
        }
        return step;
    }

    unsigned number(std::string_view word, std::string_view not_a_number) const {
        const bool digits = std::all_of(word.begin(), word.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
        });
        if (!digits) fail(word, not_a_number);
        unsigned v = 0;
        const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
        if (ec != std::errc{} || end != word.data() + word.size()) {
            fail(word, fmt::format("out of range {}-{}", rule_.low, rule_.high));
        }
        return v;
    }

    std::size_t index_;
    const field_rule& rule_;
    std::string_view text_;
};

// ---- searching -----------------------------------------------------------------------------

constexpr std::int64_t seconds_per_minute = 60;
constexpr std::int64_t minutes_per_hour = 60;
constexpr std::int64_t minutes_per_day = 24 * minutes_per_hour;
constexpr std::int64_t ms_per_second = 1000;
// next_after finds nothing from the year 10000 on (10000-01-01T00:00Z in ms): year_month_day's
// years end at 32767, and no schedule needs that far.
constexpr std::uint64_t max_after_ms = 253'402'300'800'000;
constexpr std::chrono::sys_seconds last_instant{seconds{max_after_ms / 1000 - 1}};
// The most a zone's offset has changed at one transition (Samoa skipped a whole day in 2011),
// with room to spare: a period that began longer ago than this has no repeated hour left.
constexpr seconds max_offset_change = hours{48};

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// The lowest set bit of `bits` at or above `from`, or -1.
int next_bit(std::uint64_t bits, std::int64_t from) noexcept {
    if (from >= 64) return -1;
    const std::uint64_t rest = bits & (~std::uint64_t{0} << from);
    return rest == 0 ? -1 : std::countr_zero(rest);
}

}  // namespace

cron_expression cron_expression::parse(std::string_view text) {
    const std::vector<std::string_view> words = split_blanks(text);
    if (words.empty()) throw schedule_error("cron expression is empty");
    std::string normalized;
    for (const std::string_view w : words) {
        if (!normalized.empty()) normalized += ' ';
        normalized += w;
    }

    std::vector<std::string_view> fields = words;
    if (words.front().starts_with('@')) {
        if (words.size() != 1) {
            throw schedule_error(fmt::format("cron expression '{}': a macro ({}) stands alone",
                                             normalized, words.front()));
        }
        const auto m = std::find_if(macros.begin(), macros.end(),
                                    [&](const macro& x) { return iequals(x.name, words[0]); });
        if (m == macros.end()) {
            throw schedule_error(fmt::format(
                "cron macro '{}' is not supported (use @yearly, @annually, @monthly, @weekly, "
                "@daily, @midnight or @hourly)",
                words[0]));
        }
        fields = split_blanks(m->fields);
    }
    if (fields.size() != field_count) {
        throw schedule_error(
            fmt::format("cron expression '{}': expected 5 fields (minute hour day-of-month month "
                        "day-of-week), found {}",
                        normalized, fields.size()));
    }

    cron_expression e;
    e.minutes_ = field_parser{minute_field, fields[minute_field]}.parse();
    e.hours_ = static_cast<std::uint32_t>(field_parser{hour_field, fields[hour_field]}.parse());
    e.days_ = static_cast<std::uint32_t>(field_parser{day_field, fields[day_field]}.parse());
    e.months_ = static_cast<std::uint16_t>(field_parser{month_field, fields[month_field]}.parse());
    const std::uint64_t weekdays = field_parser{weekday_field, fields[weekday_field]}.parse();
    e.weekdays_ = static_cast<std::uint8_t>((weekdays | (weekdays >> 7)) & 0x7f);  // 7 is Sunday
    e.day_star_ = fields[day_field].starts_with('*');
    e.weekday_star_ = fields[weekday_field].starts_with('*');
    e.wildcard_clock_ =
        fields[minute_field].starts_with('*') || fields[hour_field].starts_with('*');
    e.text_ = std::move(normalized);
    return e;
}

bool operator==(const cron_expression& a, const cron_expression& b) noexcept {
    return a.minutes_ == b.minutes_ && a.hours_ == b.hours_ && a.days_ == b.days_ &&
           a.months_ == b.months_ && a.weekdays_ == b.weekdays_ && a.day_star_ == b.day_star_ &&
           a.weekday_star_ == b.weekday_star_ && a.wildcard_clock_ == b.wildcard_clock_;
}

bool cron_expression::day_matches(sys_days day) const noexcept {
    const year_month_day ymd{day};
    const bool by_date = ((days_ >> unsigned{ymd.day()}) & 1U) != 0;
    const bool by_weekday = ((weekdays_ >> weekday{day}.c_encoding()) & 1U) != 0;
    // Vixie cron's rule: a '*' on either side means both must hold (the '*' one always does,
    // unless it carries a step); two restricted fields widen each other.
    return day_star_ || weekday_star_ ? by_date && by_weekday : by_date || by_weekday;
}

// A walk over the calendar that skips a whole month, day or hour as soon as it cannot match,
// so a year costs a few hundred steps at most whatever the expression.
std::optional<cron_expression::local_seconds> cron_expression::first_local_match(
    local_seconds from, local_seconds until) const {
    const std::int64_t first_minute = floor_div(from + seconds_per_minute - 1, seconds_per_minute);
    std::int64_t day = floor_div(first_minute, minutes_per_day);
    std::int64_t minute_of_day = first_minute - day * minutes_per_day;
    const auto next_day = [&] {
        ++day;
        minute_of_day = 0;
    };
    while ((day * minutes_per_day + minute_of_day) * seconds_per_minute < until) {
        const sys_days date{days{day}};
        const year_month_day ymd{date};
        if (((months_ >> unsigned{ymd.month()}) & 1U) == 0) {
            const year_month next_month = year_month{ymd.year(), ymd.month()} + months{1};
            day = sys_days{next_month / 1}.time_since_epoch().count();
            minute_of_day = 0;
            continue;
        }
        if (!day_matches(date)) {
            next_day();
            continue;
        }
        const std::int64_t hour_now = minute_of_day / minutes_per_hour;
        const int hour = next_bit(hours_, hour_now);
        if (hour < 0) {
            next_day();
            continue;
        }
        const std::int64_t from_minute = hour == hour_now ? minute_of_day % minutes_per_hour : 0;
        const int minute = next_bit(minutes_, from_minute);
        if (minute < 0) {
            minute_of_day = (hour + 1) * minutes_per_hour;
            if (minute_of_day == minutes_per_day) next_day();
            continue;
        }
        const local_seconds found =
            (day * minutes_per_day + hour * minutes_per_hour + minute) * seconds_per_minute;
        if (found >= until) break;
        return found;
    }
    return std::nullopt;
}

// The search walks the zone's periods of constant offset: inside one, local time is the
// instant plus the offset and runs forward, so the first match on the local clock is the
// first in time. Where a period begins, the previous one's local clock has run up to
// `jumped_from`: before the period's own first local time when the clock sprang forward (the
// minutes between do not exist), after it when the clock fell back (those minutes repeat).
std::optional<std::uint64_t> cron_expression::next_after(std::uint64_t after_ms,
                                                         const time_zone& tz) const {
    if (after_ms >= max_after_ms) return std::nullopt;
    // Slots fall on whole seconds: one is after `after_ms` when it is after its second.
    const sys_seconds after{seconds{static_cast<std::int64_t>(after_ms / ms_per_second)}};
    const sys_seconds limit = std::min(after + search_horizon, last_instant);
    sys_seconds next = after + seconds{1};  // the earliest instant a slot may take
    while (next <= limit) {
        const time_zone::period p = tz.period_at(next);
        const sys_seconds end = std::min(p.end, limit + seconds{1});
        local_seconds from = (next + p.offset).time_since_epoch().count();
        if (!wildcard_clock_ && next - p.begin < max_offset_change) {
            const time_zone::period before = tz.period_at(p.begin - seconds{1});
            const local_seconds jumped_from = (p.begin + before.offset).time_since_epoch().count();
            // Entering the period: minutes of a spring gap count (they fire as it begins).
            // Inside it: the minutes of an autumn repeat have fired already.
            from = next == p.begin ? jumped_from : std::max(from, jumped_from);
        }
        const auto found = first_local_match(from, (end + p.offset).time_since_epoch().count());
        if (found) {
            // A minute inside a spring gap maps before the period: it fires as the period begins.
            const sys_seconds at = std::max(sys_seconds{seconds{*found}} - p.offset, p.begin);
            return static_cast<std::uint64_t>(at.time_since_epoch().count()) *
                   static_cast<std::uint64_t>(ms_per_second);
        }
        next = p.end;
    }
    return std::nullopt;
}

}  // namespace shoal::broker
