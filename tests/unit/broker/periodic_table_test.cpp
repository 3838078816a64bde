// periodic_table: the slot task ids a restarted broker must compute again, the entries made
// from definitions (checked), and the record Redis keeps.

#include "schedule/periodic_table.hpp"

#include <set>

#include <gtest/gtest.h>

namespace {

using namespace shoal::broker;

periodic_definition every_second(std::string name = "tick") {
    periodic_definition d;
    d.name = std::move(name);
    d.task = "add";
    d.args = "\x92\x01\x02";
    d.schedule = "every 1s";
    return d;
}

TEST(SlotTaskId, IsTheSameForTheSameSlotAndDiffersAcrossSlotsAndNames) {
    EXPECT_EQ(slot_task_id("tick", 1'000), slot_task_id("tick", 1'000));
    std::set<shoal::proto::task_id> seen;
    for (std::uint64_t slot = 1; slot <= 1'000; ++slot) {
        seen.insert(slot_task_id("tick", slot * 1'000));
        seen.insert(slot_task_id("tock", slot * 1'000));
    }
    EXPECT_EQ(seen.size(), 2'000u);
    // "a" + slot 12 and "a1" + slot 2 must not meet.
    EXPECT_NE(slot_task_id("a", 12), slot_task_id("a1", 2));
}

TEST(SlotTaskId, IsAVersion8UuidAndStableAcrossBuilds) {
    const auto id = slot_task_id("tick", 1'700'000'000'000);
    EXPECT_EQ(id.bytes[6] >> 4, 8);
    EXPECT_EQ(id.bytes[8] >> 6, 2);
    // Pinned (computed apart, in Python, from PROTOCOL.md 6.6's recipe): a broker upgraded
    // between two slots must name them as the one before it did.
    EXPECT_EQ(id.to_hex(), "b2e3c35c9a2c81d996c86f153af59002");
}

TEST(PeriodicEntry, IsMadeFromAValidDefinitionOnly) {
    const periodic_entry e = make_periodic_entry(every_second(), 5'000);
    EXPECT_EQ(e.anchor_ms, 5'000u);
    EXPECT_EQ(e.schedule.next_after(5'000, 5'000), 6'000u);
    const auto fails = [](periodic_definition d) {
        try {
            (void)make_periodic_entry(d, 0);
        } catch (const schedule_error& error) {
            return std::string(error.what());
        }
        return std::string("(no error)");
    };
    auto d = every_second();
    d.name = "";
    EXPECT_NE(fails(d).find("name"), std::string::npos);
    d = every_second();
    d.task = std::string(256, 't');
    EXPECT_NE(fails(d).find("task"), std::string::npos);
    d = every_second();
    d.args = "\x01";  // a number, not an argument list
    EXPECT_NE(fails(d).find("args"), std::string::npos);
    d = every_second();
    d.schedule = "cron 61 * * * *";
    EXPECT_NE(fails(d).find("cron"), std::string::npos);
    d = every_second();
    d.zone = "Nowhere/Atlantis";
    d.schedule = "cron 0 * * * *";
    EXPECT_NE(fails(d).find("Nowhere/Atlantis"), std::string::npos);
}

TEST(PeriodicRecord, ReadsBackTheDefinitionAndWhatItFired) {
    auto d = every_second();
    d.schedule = "cron 0 9 * * mon-fri";
    d.zone = "Europe/Paris";
    d.missed = "skip";
    d.queue = "reports";
    periodic_entry e = make_periodic_entry(d, 1'000);
    e.last_slot_ms = 123'456;
    e.runs = 7;
    e.skipped = 2;
    e.paused = true;
    e.from_config = true;
    const auto back = decode_periodic("tick", encode_periodic(e));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->def, e.def);
    EXPECT_EQ(back->schedule, e.schedule);
    EXPECT_EQ(back->anchor_ms, 1'000u);
    EXPECT_EQ(back->last_slot_ms, 123'456u);
    EXPECT_EQ(back->runs, 7u);
    EXPECT_EQ(back->skipped, 2u);
    EXPECT_TRUE(back->paused);
    EXPECT_TRUE(back->from_config);
}

TEST(PeriodicRecord, AnUnreadableRecordIsNoEntry) {
    EXPECT_FALSE(decode_periodic("tick", "").has_value());
    EXPECT_FALSE(decode_periodic("tick", "\xc1").has_value());
    EXPECT_FALSE(decode_periodic("tick", "\x92\x01\x02").has_value());  // not a map
    // A map whose schedule does not parse (a record written by hand, say).
    periodic_entry e = make_periodic_entry(every_second(), 0);
    std::string record = encode_periodic(e);
    const auto at = record.find("every 1s");
    ASSERT_NE(at, std::string::npos);
    record.replace(at, 8, "every 1x");
    EXPECT_FALSE(decode_periodic("tick", record).has_value());
}

TEST(PeriodicTable, ReplacesByNameAndTheEarliestNextSkipsPausedEntries) {
    periodic_table table;
    periodic_entry a = make_periodic_entry(every_second("a"), 0);
    a.next_ms = 5'000;
    periodic_entry b = make_periodic_entry(every_second("b"), 0);
    b.next_ms = 3'000;
    b.paused = true;
    table.put(a);
    table.put(b);
    EXPECT_EQ(table.earliest_next(), 5'000u);
    a.next_ms = 4'000;
    table.put(a);
    EXPECT_EQ(table.size(), 2u);
    EXPECT_EQ(table.earliest_next(), 4'000u);
    EXPECT_TRUE(table.remove("a"));
    EXPECT_FALSE(table.remove("a"));
    EXPECT_FALSE(table.earliest_next().has_value());
    EXPECT_NE(table.find("b"), nullptr);
    EXPECT_EQ(table.find("a"), nullptr);
}

}  // namespace
