#include "schedule/time_zone.hpp"

#include <exception>
#include <utility>

#include <date/tz.h>
#include <fmt/format.h>

namespace shoal::broker {

namespace {

constexpr std::string_view utc_name = "UTC";

}  // namespace

time_zone::time_zone(std::string name, const date::time_zone* zone) noexcept
    : name_(std::move(name)), zone_(zone) {}

time_zone time_zone::utc() { return time_zone{std::string{utc_name}, nullptr}; }

time_zone time_zone::named(std::string_view iana_name) {
    if (iana_name == utc_name) return utc();
    if (iana_name.empty()) throw schedule_error("time zone: the name is empty");
    try {
        // Looks the name up in the list read from the zoneinfo directory: a name that is not
        // a zone there ("../../etc/passwd") is never opened as a file.
        return time_zone{std::string{iana_name}, date::locate_zone(iana_name)};
    } catch (const std::exception& e) {
        // date/tz throws runtime_error for both an unknown name ("X not found in timezone
        // database") and a database it cannot read, which only its text tells apart.
        if (std::string_view{e.what()}.ends_with("not found in timezone database")) {
            throw schedule_error(
                fmt::format("time zone '{}' is not in the time zone database", iana_name));
        }
        throw schedule_error(fmt::format("time zone '{}': cannot read the time zone database: {}",
                                         iana_name, e.what()));
    }
}

time_zone::period time_zone::period_at(std::chrono::sys_seconds t) const {
    if (zone_ == nullptr) {
        using std::chrono::year;
        return period{std::chrono::sys_days{year::min() / 1 / 1},
                      std::chrono::sys_days{year::max() / 12 / 31}, std::chrono::seconds{0}};
    }
    const date::sys_info info = zone_->get_info(t);
    return period{info.begin, info.end, info.offset};
}

}  // namespace shoal::broker
