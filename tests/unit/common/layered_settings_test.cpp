#include "shoal/common/layered_settings.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "config_helpers.hpp"

namespace {

using shoal::config_error;
using shoal::layered_settings;
using shoal::setting_kind;
using shoal::setting_origin;
using shoal::setting_spec;
using shoal::testing::env_of;
const auto error_of = shoal::testing::config_error_of;

layered_settings sample() {
    return layered_settings({
        {"name", "SHOAL_NAME", "--name", "a name", setting_kind::text, 0, 0,
         [](std::string_view v) { return v.empty() ? std::string("must not be empty") : ""; },
         "anon"},
        {"count", "SHOAL_COUNT", "--count", "a count", setting_kind::integer, 1, 10, nullptr, "1"},
        {"wait", "SHOAL_WAIT", "--wait", "seconds", setting_kind::seconds, 0, 60, nullptr, "0.5"},
        {"on", "SHOAL_ON", "--on", "a switch", setting_kind::flag, 0, 0, nullptr, "false"},
    });
}

TEST(LayeredSettings, LaterSourcesOverrideEarlierOnesSettingBySetting) {
    layered_settings s = sample();
    s.apply_toml("name = \"from-file\"\ncount = 3\nwait = 1.25\non = true\n", "f.toml");
    s.apply_environment(env_of({{"SHOAL_COUNT", "4"}}));
    s.apply("wait", "2", setting_origin::command_line, "option --wait");
    EXPECT_EQ(s.text("name"), "from-file");
    EXPECT_EQ(s.integer("count"), 4u);
    EXPECT_EQ(s.seconds("wait"), 2.0);
    EXPECT_EQ(s.flag("on"), true);
    EXPECT_EQ(s.given("name")->origin, setting_origin::file);
    EXPECT_EQ(s.given("count")->origin, setting_origin::environment);
    EXPECT_EQ(s.given("wait")->origin, setting_origin::command_line);
}

TEST(LayeredSettings, WhatNoSourceNamesIsNotGivenAndShowsItsDefault) {
    layered_settings s = sample();
    s.apply_environment(env_of({{"SHOAL_NAME", "x"}}));
    EXPECT_FALSE(s.has("count"));
    EXPECT_FALSE(s.integer("count").has_value());
    const std::string text = s.describe();
    EXPECT_NE(text.find("name = \"x\"  # environment variable SHOAL_NAME\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("count = 1  # default\n"), std::string::npos) << text;
    EXPECT_NE(text.find("wait = 0.5  # default\n"), std::string::npos) << text;
    EXPECT_NE(text.find("on = false  # default\n"), std::string::npos) << text;
}

TEST(LayeredSettings, EachBadValueIsRefusedNamingItsSource) {
    layered_settings s = sample();
    EXPECT_NE(error_of([&] { s.apply_toml("count = 11\n", "f.toml"); }).find("f.toml: count"),
              std::string::npos);
    EXPECT_NE(
        error_of([&] { s.apply_toml("count = \"3\"\n", "f.toml"); }).find("must be an integer"),
        std::string::npos);
    EXPECT_NE(error_of([&] { s.apply_toml("nme = \"x\"\n", "f.toml"); }).find("unknown key 'nme'"),
              std::string::npos);
    EXPECT_NE(error_of([&] { s.apply_toml("wait = -1\n", "f.toml"); }).find("negative"),
              std::string::npos);
    EXPECT_NE(error_of([&] { s.apply_toml("on = 1\n", "f.toml"); }).find("true or false"),
              std::string::npos);
    EXPECT_NE(error_of([&] { s.apply_toml("name = \"\xc3\xa9\"\n", "f.toml"); }).find("ASCII"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  s.apply_environment(env_of({{"SHOAL_WAIT", "1e3"}}));
              }).find("SHOAL_WAIT"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  s.apply_environment(env_of({{"SHOAL_NAME", ""}}));
              }).find("must not be empty"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  s.apply("count", "0", setting_origin::command_line, "option --count");
              }).find("option --count: must be between 1 and 10"),
              std::string::npos);
    // Nothing bad was kept.
    EXPECT_FALSE(s.has("count"));
    EXPECT_FALSE(s.has("name"));
}

TEST(LayeredSettings, DescribeIsItselfAConfigFile) {
    layered_settings s = sample();
    s.apply_environment(env_of({{"SHOAL_NAME", "quote \" and \\ back"}, {"SHOAL_WAIT", "0.25"}}));
    layered_settings again = sample();
    again.apply_toml(s.describe(), "described.toml");
    EXPECT_EQ(again.text("name"), "quote \" and \\ back");
    EXPECT_EQ(again.seconds("wait"), 0.25);
    EXPECT_EQ(again.integer("count"), 1u);
    EXPECT_EQ(again.flag("on"), false);
}

TEST(LayeredSettings, AListOfStringsInTheFileIsCommaJoined) {
    layered_settings s = sample();
    s.apply_toml("name = [\"a\", \"b\"]\n", "f.toml");
    EXPECT_EQ(s.text("name"), "a,b");
    EXPECT_NE(error_of([&] { s.apply_toml("name = [\"a,b\"]\n", "f.toml"); }).find("','"),
              std::string::npos);
}

}  // namespace
