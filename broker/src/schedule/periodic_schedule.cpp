#include "schedule/periodic_schedule.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>

#include <fmt/format.h>

namespace shoal::broker {

namespace {

constexpr std::uint64_t max_ms = std::numeric_limits<std::uint64_t>::max();

struct interval_unit {
    std::string_view suffix;
    std::uint64_t ms;
};
// Largest first: spec() writes an interval in the largest unit that divides it.
constexpr std::array<interval_unit, 5> interval_units{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr std::string_view spec_hint =
    "expected 'every <n><unit>' (unit ms, s, m, h or d) or 'cron <expression>'";

bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

// "10s", "500ms": a positive whole number then a unit. `spec` is quoted in errors.
std::uint64_t parse_interval(std::string_view word, std::string_view spec) {
    const auto fail = [&](std::string_view problem) {
        return schedule_error(fmt::format("schedule '{}': {}", spec, problem));
    };
    std::uint64_t n = 0;
    const auto [unit_start, ec] = std::from_chars(word.data(), word.data() + word.size(), n);
    if (unit_start == word.data())
        throw fail(fmt::format("'{}' does not start with a number", word));
    if (ec != std::errc{}) throw fail("the interval is too long");
    const std::string_view unit{unit_start,
                                static_cast<std::size_t>(word.data() + word.size() - unit_start)};
    if (unit.empty()) throw fail(fmt::format("'{}' has no unit (ms, s, m, h or d)", word));
    const auto u = std::find_if(interval_units.begin(), interval_units.end(),
                                [&](const interval_unit& x) { return x.suffix == unit; });
    if (u == interval_units.end()) {
        throw fail(fmt::format("unknown unit '{}' (use ms, s, m, h or d)", unit));
    }
    if (n == 0) throw fail("the interval must be longer than zero");
    if (n > max_ms / u->ms) throw fail("the interval is too long");
    return n * u->ms;
}

// The first interval slot after `after_ms`: anchor + k * every with k >= 1, computed directly
// whatever the gap. nullopt past the end of uint64 ms.
std::optional<std::uint64_t> next_interval_slot(std::uint64_t every, std::uint64_t anchor,
                                                std::uint64_t after) {
    if (every == 0) return std::nullopt;
    const std::uint64_t k = (after < anchor ? 0 : (after - anchor) / every) + 1;
    if (k > (max_ms - anchor) / every) return std::nullopt;
    return anchor + k * every;
}

// The due slots in (floor, now], when there is at least one.
struct due_range {
    std::uint64_t latest = 0;   // the latest slot <= now
    std::uint64_t earlier = 0;  // how many due slots precede it (cron: capped)
};

std::optional<due_range> interval_due(std::uint64_t every, std::uint64_t anchor,
                                      std::uint64_t floor, std::uint64_t now) {
    // floor >= anchor: slot k is due for k in [k_first, k_last].
    if (every == 0 || now - anchor < every) return std::nullopt;
    const std::uint64_t k_first = (floor - anchor) / every + 1;
    const std::uint64_t k_last = (now - anchor) / every;
    if (k_first > k_last) return std::nullopt;
    return due_range{anchor + k_last * every, k_last - k_first};
}

std::optional<due_range> cron_due(const periodic_schedule& s, std::uint64_t anchor,
                                  std::uint64_t floor, std::uint64_t now) {
    const auto next = [&](std::uint64_t t) { return s.next_after(t, anchor); };
    const auto first = next(floor);
    if (!first || *first > now) return std::nullopt;
    // The latest slot <= now, by bisection on "some slot lies in (x, now]", which holds for
    // x = first and not for x = now: about 40 searches for years of milliseconds, where
    // walking slot by slot could take millions.
    std::uint64_t lo = *first;
    std::uint64_t hi = now;
    const auto second = next(lo);
    if (!second || *second > now) return due_range{*first, 0};
    while (hi - lo > 1) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        const auto n = next(mid);
        if (n && *n <= now) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    const std::uint64_t latest = next(lo).value_or(*first);
    // Counting has no shortcut: one search per slot, hence the cap.
    std::uint64_t earlier = 0;
    for (std::uint64_t t = *first; t < latest && earlier < max_counted_cron_slots;
         t = next(t).value_or(latest)) {
        ++earlier;
    }
    return due_range{latest, earlier};
}

}  // namespace

std::string_view to_string(missed_policy p) noexcept {
    return p == missed_policy::skip ? "skip" : "run_once";
}

missed_policy parse_missed_policy(std::string_view text) {
    if (text == "run_once") return missed_policy::run_once;
    if (text == "skip") return missed_policy::skip;
    throw schedule_error(fmt::format("missed policy '{}': expected run_once or skip", text));
}

periodic_schedule periodic_schedule::parse(std::string_view spec, std::string_view zone,
                                           std::string_view missed) {
    const std::string_view text = trim(spec);
    if (text.empty()) throw schedule_error(fmt::format("schedule is empty: {}", spec_hint));
    const std::size_t blank = std::min(text.size(), text.find_first_of(" \t\n\r"));
    const std::string_view head = text.substr(0, blank);
    const std::string_view rest = trim(text.substr(blank));

    periodic_schedule s;
    if (iequals(head, "cron")) {
        if (rest.empty()) throw schedule_error("schedule 'cron': the cron expression is missing");
        s.cron = cron_expression::parse(rest);
    } else if (iequals(head, "every")) {
        if (rest.empty()) throw schedule_error("schedule 'every': the interval is missing");
        if (rest.find_first_of(" \t\n\r") != std::string_view::npos) {
            throw schedule_error(fmt::format(
                "schedule '{}': write the interval as one word, like 'every 10s'", text));
        }
        s.every_ms = parse_interval(rest, text);
    } else if (rest.empty() && !head.empty() &&
               std::isdigit(static_cast<unsigned char>(head.front())) != 0) {
        s.every_ms = parse_interval(head, text);
    } else {
        throw schedule_error(fmt::format("schedule '{}': {}", text, spec_hint));
    }
    s.zone = time_zone::named(zone);
    s.missed = parse_missed_policy(missed);
    return s;
}

std::string periodic_schedule::spec() const {
    if (every_ms && *every_ms != 0) {
        const auto u = std::find_if(interval_units.begin(), interval_units.end(),
                                    [&](const interval_unit& x) { return *every_ms % x.ms == 0; });
        return fmt::format("every {}{}", *every_ms / u->ms, u->suffix);
    }
    if (cron) return "cron " + cron->text();
    return {};
}

std::optional<std::uint64_t> periodic_schedule::next_after(std::uint64_t after_ms,
                                                           std::uint64_t anchor_ms) const {
    if (every_ms) return next_interval_slot(*every_ms, anchor_ms, after_ms);
    if (cron) return cron->next_after(std::max(after_ms, anchor_ms), zone);
    return std::nullopt;
}

due_slots slots_due(const periodic_schedule& s, std::uint64_t anchor_ms, std::uint64_t last_slot_ms,
                    std::uint64_t now_ms, std::uint64_t grace_ms) {
    const std::uint64_t floor = std::max(anchor_ms, last_slot_ms);
    due_slots out;
    // After the last slot too: a clock set back must not fire a slot twice.
    out.next_slot_ms = s.next_after(std::max(now_ms, floor), anchor_ms);
    if (now_ms <= floor) return out;

    std::optional<due_range> due;
    if (s.every_ms) {
        due = interval_due(*s.every_ms, anchor_ms, floor, now_ms);
    } else if (s.cron) {
        due = cron_due(s, anchor_ms, floor, now_ms);
    }
    if (!due) return out;
    const bool run = s.missed == missed_policy::run_once || now_ms - due->latest <= grace_ms;
    if (run) out.run_slot_ms = due->latest;
    out.skipped = due->earlier + (run ? 0 : 1);
    if (s.cron && !s.every_ms) out.skipped = std::min(out.skipped, max_counted_cron_slots);
    return out;
}

}  // namespace shoal::broker
