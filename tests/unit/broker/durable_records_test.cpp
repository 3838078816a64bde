#include "durable/durable_records.hpp"

#include <gtest/gtest.h>

#include "redis/redis_reply.hpp"
#include "shoal/proto/bounded_unpack.hpp"

namespace {

using namespace shoal::broker;
namespace proto = shoal::proto;

proto::submitted_task sample_task() {
    proto::submitted_task t;
    t.id = proto::task_id::random();
    t.name = "add";
    t.queue = "math";
    t.payload = std::string("\x92\x02\x03", 3);
    t.options.time_limit_ms = 1500;
    return t;
}

TEST(DurableRecords, ATaskRecordRoundTripsWithItsHashAndSeq) {
    const proto::submitted_task t = sample_task();
    const task_record r = decode_task_record(encode_task_record(0xfeedface12345678ULL, 42, t));
    EXPECT_EQ(r.body_hash, 0xfeedface12345678ULL);
    EXPECT_EQ(r.seq, 42u);
    EXPECT_EQ(r.task, t);
}

TEST(DurableRecords, AResultRecordRoundTrips) {
    proto::outcome o;
    o.id = proto::task_id::random();
    o.status = proto::task_status::failed;
    o.error = proto::error_info{"ValueError", "bad input", "worker-1"};
    const result_record r = decode_result_record(encode_result_record(7, o));
    EXPECT_EQ(r.body_hash, 7u);
    EXPECT_EQ(r.outcome, o);
}

TEST(DurableRecords, TheSameHashGivesTheSameLeadingBytesInBothRecords) {
    // The submit script compares a task record's head with a stored result's head.
    const std::string task = encode_task_record(99, 1, sample_task());
    proto::outcome o;
    o.id = proto::task_id::random();
    const std::string result = encode_result_record(99, o);
    EXPECT_EQ(task.substr(0, record_header_bytes), result.substr(0, record_header_bytes));
    EXPECT_NE(task.substr(0, record_header_bytes),
              encode_task_record(98, 1, sample_task()).substr(0, record_header_bytes));
}

TEST(DurableRecords, AnOwnedTaskRecordKeepsItsOwnerAndAnUnownedOneIsVersionOne) {
    const proto::submitted_task t = sample_task();
    const std::string owned = encode_task_record(5, 6, t, "client:alice");
    const task_record r = decode_task_record(owned);
    EXPECT_EQ(r.owner, "client:alice");
    EXPECT_EQ(r.body_hash, 5u);
    EXPECT_EQ(r.seq, 6u);
    EXPECT_EQ(r.task, t);
    EXPECT_EQ(owned[0], '\x02');
    // An open broker writes what it always wrote: version 1, no owner bytes.
    const std::string unowned = encode_task_record(5, 6, t);
    EXPECT_EQ(unowned[0], '\x01');
    EXPECT_EQ(owned.size(), unowned.size() + 2 + std::string_view("client:alice").size());
    EXPECT_EQ(decode_task_record(unowned).owner, "");
}

TEST(DurableRecords, AnOwnedResultRecordKeepsItsOwnerAndItsHeadMatchesItsTasks) {
    proto::outcome o;
    o.id = proto::task_id::random();
    o.payload = "\x07";
    const std::string result = encode_result_record(99, o, "worker:w1");
    const result_record r = decode_result_record(result);
    EXPECT_EQ(r.owner, "worker:w1");
    EXPECT_EQ(r.outcome, o);
    const std::string task = encode_task_record(99, 1, sample_task(), "worker:w1");
    EXPECT_EQ(task.substr(0, record_header_bytes), result.substr(0, record_header_bytes));
}

TEST(DurableRecords, ATruncatedOwnerIsADecodeError) {
    std::string task = encode_task_record(1, 2, sample_task(), "client:bob");
    task.resize(record_header_bytes + 8 + 2 + 3);  // the owner's length says 10, 3 bytes follow
    EXPECT_THROW(decode_task_record(task), proto::decode_error);
    std::string zero = encode_result_record(1, proto::outcome{}, "x");
    zero[record_header_bytes] = 0;  // an owned record with an empty owner is not one we write
    EXPECT_THROW(decode_result_record(zero), proto::decode_error);
    EXPECT_THROW(encode_task_record(1, 2, sample_task(), std::string(70'000, 'a')),
                 std::length_error);
}

TEST(DurableRecords, GarbageIsADecodeErrorNotACrash) {
    EXPECT_THROW(decode_task_record(""), proto::decode_error);
    EXPECT_THROW(decode_task_record(std::string(17, '\x01')), proto::decode_error);
    EXPECT_THROW(decode_result_record("\x02xxxxxxxx"), proto::decode_error);
    std::string truncated = encode_task_record(1, 2, sample_task());
    truncated.resize(truncated.size() - 2);
    EXPECT_THROW(decode_task_record(truncated), proto::decode_error);
}

TEST(RedisPipeline, CommandsAreFormattedInResp) {
    redis_pipeline p;
    p.add("SET", "k", std::string_view("a\r\nb"));
    p.begin(3);
    p.arg("HDEL");
    p.arg("h");
    p.arg(std::uint64_t{12});
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p.command(0), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n");
    EXPECT_EQ(p.command(1), "*3\r\n$4\r\nHDEL\r\n$1\r\nh\r\n$2\r\n12\r\n");
    EXPECT_EQ(p.bytes(), p.command(0).size() + p.command(1).size());
    p.clear();
    EXPECT_TRUE(p.empty());
}

}  // namespace
