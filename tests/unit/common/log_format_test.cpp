// log_format: json lines escape what JSON needs escaped and carry the fields of log_fields
// scopes, nested, only while they live.
#include "shoal/common/log_format.hpp"

#include <gtest/gtest.h>

namespace {

TEST(LogFormat, NamesTextAndJsonOnly) {
    EXPECT_EQ(shoal::log_format_from("text"), shoal::log_format::text);
    EXPECT_EQ(shoal::log_format_from("json"), shoal::log_format::json);
    EXPECT_EQ(shoal::log_format_from("JSON"), std::nullopt);
    EXPECT_EQ(shoal::log_format_from(""), std::nullopt);
}

TEST(LogFormat, AJsonLineEscapesQuotesBackslashesAndControlCharacters) {
    EXPECT_EQ(shoal::json_log_line("T", "info", "shoal-broker", "a \"b\" \\ c\n\td\x01"),
              "{\"time\":\"T\",\"level\":\"info\",\"logger\":\"shoal-broker\",\"msg\":\"a "
              "\\\"b\\\" \\\\ c\\n\\td\\u0001\"}\n");
}

TEST(LogFormat, FieldsHoldWhileTheirScopeLives) {
    {
        const shoal::log_fields outer{{"task_id", "ab12"}, {"task", "add"}};
        {
            const shoal::log_fields inner{{"worker", "w\"1"}};
            EXPECT_EQ(shoal::json_log_line("T", "info", "", "m"),
                      "{\"time\":\"T\",\"level\":\"info\",\"msg\":\"m\",\"task_id\":\"ab12\","
                      "\"task\":\"add\",\"worker\":\"w\\\"1\"}\n");
        }
        EXPECT_EQ(shoal::json_log_line("T", "info", "", "m"),
                  "{\"time\":\"T\",\"level\":\"info\",\"msg\":\"m\",\"task_id\":\"ab12\","
                  "\"task\":\"add\"}\n");
    }
    EXPECT_EQ(shoal::json_log_line("T", "warning", "", "m"),
              "{\"time\":\"T\",\"level\":\"warning\",\"msg\":\"m\"}\n");
}

}  // namespace
