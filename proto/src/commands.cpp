#include "shoal/proto/commands.hpp"

#include <array>
#include <utility>

namespace shoal::proto {

namespace {
constexpr std::array<std::pair<command, std::string_view>, 25> command_names{{
    {command::hello, "HELLO"},         {command::welcome, "WELCOME"},
    {command::submit, "SUBMIT"},       {command::accepted, "ACCEPTED"},
    {command::result, "RESULT"},       {command::fetch, "FETCH"},
    {command::fetched, "FETCHED"},     {command::revoke, "REVOKE"},
    {command::purge, "PURGE"},         {command::purged, "PURGED"},
    {command::inspect, "INSPECT"},     {command::report, "REPORT"},
    {command::ready, "READY"},         {command::dispatch, "DISPATCH"},
    {command::done, "DONE"},           {command::cancel, "CANCEL"},
    {command::heartbeat, "HEARTBEAT"}, {command::bye, "BYE"},
    {command::error, "ERROR"},         {command::requeue, "REQUEUE"},
    {command::started, "STARTED"},     {command::drain, "DRAIN"},
    {command::admin, "ADMIN"},         {command::subscribe, "SUBSCRIBE"},
    {command::events, "EVENTS"},
}};
}  // namespace

std::optional<command> command_from_byte(std::uint8_t byte) noexcept {
    for (const auto& [c, name] : command_names) {
        if (static_cast<std::uint8_t>(c) == byte) return c;
    }
    return std::nullopt;
}

std::string_view command_name(command c) noexcept {
    for (const auto& [known, name] : command_names) {
        if (known == c) return name;
    }
    return "UNKNOWN";
}

}  // namespace shoal::proto
