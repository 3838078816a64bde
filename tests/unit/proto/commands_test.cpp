#include "shoal/proto/commands.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace {

using shoal::proto::command;
using shoal::proto::command_from_byte;
using shoal::proto::command_name;

TEST(Commands, EveryDefinedByteMapsBackToItsCommandWithAName) {
    int defined = 0;
    std::set<std::string> names;
    for (int b = 0; b < 256; ++b) {
        const auto c = command_from_byte(static_cast<std::uint8_t>(b));
        if (!c) continue;
        ++defined;
        EXPECT_EQ(static_cast<int>(*c), b);
        const std::string name(command_name(*c));
        EXPECT_NE(name, "UNKNOWN");
        names.insert(name);
    }
    EXPECT_EQ(defined, 25);  // PROTOCOL.md section 4 defines twenty-five commands
    EXPECT_EQ(names.size(), 25u);
}

TEST(Commands, ProtocolBytesMatchTheSpec) {
    EXPECT_EQ(command_from_byte(0x10), command::submit);
    EXPECT_EQ(command_from_byte(0x21), command::dispatch);
    EXPECT_EQ(command_from_byte(0x22), command::done);
    EXPECT_EQ(command_from_byte(0x3f), command::error);
    EXPECT_EQ(command_from_byte(0x24), command::started);
    EXPECT_EQ(command_from_byte(0x25), command::drain);
    EXPECT_EQ(command_from_byte(0x1b), command::admin);
    EXPECT_EQ(command_from_byte(0x1c), command::subscribe);
    EXPECT_EQ(command_from_byte(0x1d), command::events);
    EXPECT_EQ(command_name(command::events), "EVENTS");
    EXPECT_EQ(command_name(command::heartbeat), "HEARTBEAT");
}

TEST(Commands, UndefinedBytesAreNotCommands) {
    EXPECT_FALSE(command_from_byte(0x00).has_value());
    EXPECT_FALSE(command_from_byte(0x26).has_value());
    EXPECT_FALSE(command_from_byte(0xff).has_value());
}

}  // namespace
