#include "shoal/proto/codec.hpp"

#include <string>

#include <gtest/gtest.h>

#include "task_ids.hpp"

namespace {

using namespace shoal::proto;
using namespace std::string_literals;
using shoal::testing::id_of;

template <class M>
void expect_round_trip(const M& m) {
    EXPECT_EQ(decode<M>(encode(m)), m);
}

decode_errc error_of(auto&& fn) {
    try {
        fn();
    } catch (const decode_error& e) {
        return e.code();
    }
    ADD_FAILURE() << "decoded without error";
    return decode_errc::malformed;
}

TEST(Codec, EveryMessageRoundTrips) {
    expect_round_trip(hello{peer_role::client, "client-1", 0, {}});
    expect_round_trip(hello{peer_role::worker, "w@h", 0, {4, 2, {"add", "count"}}});
    expect_round_trip(welcome{250, 5, 1u << 20, 500, 0});
    expect_round_trip(welcome{250, 5, 1u << 20, 500, 64u << 20});
    expect_round_trip(heartbeat{});
    expect_round_trip(heartbeat{123'456});
    expect_round_trip(bye{"draining"});
    expect_round_trip(error_reply{"bad_body", "no", id_of(1)});
    expect_round_trip(error_reply{"bad_version", "speak SHOAL1", std::nullopt});

    task_options opts;
    opts.priority = 7;
    opts.time_limit_ms = 1500;
    opts.eta_ms = 1'700'000'000'000ULL;
    opts.soft_time_limit_ms = 900;
    opts.max_retries = 3;
    opts.retry_backoff = true;
    opts.retry_jitter = false;
    opts.retry_on = {"std::runtime_error", "shoal::time_limit_exceeded"};
    expect_round_trip(submit{{{id_of(1), "add", "default", "\x92\x02\x03", {}},
                              {id_of(2), "count", "cpu", std::string("\x91\x00", 2), opts}},
                             {}});
    expect_round_trip(accepted{{id_of(1)}, {{id_of(2), {"conflict", "other body", "broker"}}}, 0});
    expect_round_trip(accepted{{}, {{id_of(2), {"busy", "full", "broker"}}}, 500});
    expect_round_trip(
        result{{{id_of(1), task_status::ok, "\x05", {}},
                {id_of(2), task_status::failed, "", {"std::runtime_error", "boom", "w1"}},
                {id_of(3), task_status::lost, "", {"lost", "worker died", "broker"}}}});
    expect_round_trip(fetch{{id_of(1), id_of(2)}});
    expect_round_trip(
        fetched{{{id_of(1), result_state::done, outcome{id_of(1), task_status::ok, "\x05", {}}},
                 {id_of(2), result_state::pending, std::nullopt},
                 {id_of(3), result_state::expired, std::nullopt},
                 {id_of(4), result_state::unknown, std::nullopt}},
                {}});
    expect_round_trip(
        fetched{{{id_of(1), result_state::pending, std::nullopt}}, {id_of(2), id_of(3)}});
    expect_round_trip(shoal::proto::revoke{{id_of(9)}, false});
    expect_round_trip(purge{"default"});
    expect_round_trip(purged{"default", 12});
    expect_round_trip(inspect{"workers"});
    expect_round_trip(admin{"reload-keys", {}, {}});
    expect_round_trip(admin{"periodic-remove", {{"name", std::string("tick")}}, {}});
    expect_round_trip(admin{"periodic-add",
                            {{"name", std::string("tick")}, {"limit", std::int64_t{-1}}},
                            "\x92\x01\x02"});
    expect_round_trip(report{"queues",
                             {{{"name", std::string("default")}, {"length", std::int64_t{3}}},
                              {{"delta", std::int64_t{-2}}}}});
    expect_round_trip(ready{8});
    expect_round_trip(dispatch{{{id_of(1), "add", "\x92\x01\x02", 2, opts}}, {}, 0});
    expect_round_trip(
        done{{{{id_of(1), task_status::ok, "\x03", {}}, 1, {}},
              {{id_of(2), task_status::unknown_task, "", {"unknown_task", "x", "w"}}, 3, {}},
              {{id_of(3), task_status::failed, "", {"shoal::retry", "again", "w"}}, 2, 1500}},
             7});
    expect_round_trip(cancel{{id_of(5)}, false});
    expect_round_trip(cancel{{id_of(5)}, true});
    expect_round_trip(started{{{id_of(1), 1}, {id_of(2), 3}}});
    expect_round_trip(drain{{{id_of(4), 2}}});
    expect_round_trip(drain{{}});
    expect_round_trip(shoal::proto::revoke{{id_of(6), id_of(7)}, true});
    expect_round_trip(requeue{{id_of(8)}});
    expect_round_trip(
        result{{{id_of(9), task_status::expired, "", {"expired", "too late", "broker"}}}});
    expect_round_trip(subscribe{true});
    expect_round_trip(subscribe{false});
    // Events are maps kept as their msgpack bytes ({"type": "task-sent", "clock": 1}).
    expect_round_trip(events{{"\x82\xa4type\xa9task-sent\xa5"
                              "clock\x01",
                              "\x80"},
                             3});
    expect_round_trip(events{{}, 0});
}

TEST(Codec, DoneCarriesRuntimesOnlyWhenAWorkerMeasuredThem) {
    done timed{{{{id_of(1), task_status::ok, "\x03", {}}, 1, {}, 1500},
                {{id_of(2), task_status::failed, "", {"E", "m", "w"}}, 1, {}, 7}},
               2};
    expect_round_trip(timed);
    // A minor-3 worker's DONE has two elements: its runtimes are simply unknown.
    done untimed{{{{id_of(1), task_status::ok, "\x03", {}}, 1, {}}}, 1};
    EXPECT_EQ(encode(untimed)[0], '\x92');
    EXPECT_EQ(decode<done>(encode(untimed)).finished[0].runtime_us, std::nullopt);
    EXPECT_EQ(encode(timed)[0], '\x93');
}

TEST(Codec, AnEventThatIsNotAMapOrRuntimesNotOnePerTaskAreBadBodies) {
    // [[1], 0]: an event must be a map.
    EXPECT_THROW(decode<events>(std::string("\x92\x91\x01\x00")), decode_error);
    // DONE [[entry], 1, [1, 2]]: two runtimes for one task.
    done one{{{{id_of(1), task_status::ok, "\x03", {}}, 1, {}, 5}}, 1};
    std::string body = encode(one);
    ASSERT_EQ(body.back(), '\x05');
    body.back() = '\x92';  // the list [5] becomes [1, 2]: rewrite its header and elements
    body[body.size() - 2] = '\x92';
    body.back() = '\x01';
    body += '\x02';
    EXPECT_THROW(decode<done>(body), decode_error);
}

TEST(Codec, AWorkersQueuesRoundTripAndAMinorOneWorkerSendsNone) {
    expect_round_trip(
        hello{peer_role::worker, "w@h", protocol_minor, {4, 2, {"add"}, {"gpu", "default"}}});
    expect_round_trip(hello{peer_role::worker, "w@h", protocol_minor, {1, 0, {"add"}, {}}});
    // A minor-1 worker's HELLO: ["worker", "w", 1, [4, 2, ["add"]]].
    const hello old =
        decode<hello>(std::string("\x94\xa6"
                                  "worker"
                                  "\xa1"
                                  "w"
                                  "\x01\x93\x04\x02\x91\xa3"
                                  "add"));
    EXPECT_EQ(old.minor, 1u);
    EXPECT_EQ(old.worker.task_names, std::vector<std::string>{"add"});
    EXPECT_TRUE(old.worker.queues.empty());  // the broker reads it as `default`
    // What a minor-1 broker reads of a minor-2 HELLO: the details it knows come first.
    const std::string body =
        encode(hello{peer_role::worker, "w", protocol_minor, {4, 2, {"add"}, {"gpu"}}});
    EXPECT_NE(body.find(std::string("\x94\x04\x02\x91\xa3"
                                    "add"
                                    "\x91\xa3"
                                    "gpu")),
              std::string::npos);
}

TEST(Codec, HelloCarriesTheSoftwareAndAnOlderHelloHasNone) {
    hello h{peer_role::worker, "w@h", protocol_minor, {2, 0, {"add"}, {}}, "shoal/0.2.0"};
    expect_round_trip(h);
    EXPECT_EQ(decode<hello>(encode(h)).software, "shoal/0.2.0");
    // A minor-2 HELLO: four elements, no software.
    const hello old =
        decode<hello>(std::string("\x94\xa6"
                                  "client"
                                  "\xa1"
                                  "c"
                                  "\x02\x90"));
    EXPECT_EQ(old.minor, 2u);
    EXPECT_TRUE(old.software.empty());
    // What an older broker reads of a minor-3 HELLO: its four elements come first.
    const std::string body = encode(hello{peer_role::client, "c", protocol_minor, {}, "shoal/9"});
    EXPECT_EQ(body.substr(0, 1), "\x95");
    EXPECT_EQ(body.substr(body.size() - 8), "\xa7shoal/9");
}

TEST(Codec, AdminCarriesParamsAndAPayloadOnlyWhenItHasThem) {
    // reload-keys is the one-element body a minor-3 broker reads.
    EXPECT_EQ(encode(admin{"reload-keys", {}, {}}), std::string("\x91\xabreload-keys"));
    const admin old = decode<admin>(std::string("\x91\xabreload-keys"));
    EXPECT_TRUE(old.params.empty());
    EXPECT_TRUE(old.payload.empty());
    // Params without a payload: two elements; with one: three, the payload a bin.
    EXPECT_EQ(encode(admin{"periodic-list", {{"name", std::string("t")}}, {}}).substr(0, 1),
              "\x92");
    const std::string with_payload = encode(admin{"periodic-add", {}, "\x90"});
    EXPECT_EQ(with_payload.substr(0, 1), "\x93");
    EXPECT_EQ(with_payload.substr(with_payload.size() - 3), std::string("\xc4\x01\x90"));
    // Params must be a map of str -> int | str; the payload a bin.
    const auto code_of = [](const std::string& body) {
        try {
            (void)decode<admin>(body);
        } catch (const decode_error& e) {
            return std::string(e.what());
        }
        return std::string("(decoded)");
    };
    EXPECT_NE(code_of("\x92\xa1x\x01").find("params: not a map"), std::string::npos);
    EXPECT_NE(code_of("\x93\xa1x\x80\xa1y").find("payload: not a bin"), std::string::npos);
}

TEST(Codec, AnEmptyOrOverLongQueueInHelloIsBadBody) {
    for (const std::string& q : {std::string(), std::string(256, 'q')}) {
        const std::string body =
            encode(hello{peer_role::worker, "w", protocol_minor, {1, 0, {"add"}, {"gpu", q}}});
        try {
            decode<hello>(body);
            ADD_FAILURE() << "decoded a queue of " << q.size() << " bytes";
        } catch (const decode_error& e) {
            EXPECT_EQ(e.code(), decode_errc::bad_body);
            EXPECT_NE(std::string(e.what()).find("queue"), std::string::npos) << e.what();
        }
    }
    // Not an array of names.
    const std::string not_list =
        "\x94\xa6"
        "worker"
        "\xa1"
        "w"
        "\x02\x94\x01\x00\x91\xa3"
        "add"
        "\xa3"
        "gpu"s;
    EXPECT_EQ(error_of([&] { decode<hello>(not_list); }), decode_errc::bad_body);
}

TEST(Codec, TrailingArrayElementsFromALaterMinorVersionAreIgnored) {
    // READY [credit, "future field"]
    const std::string body =
        "\x92\x05\xa6"
        "future";
    EXPECT_EQ(decode<ready>(body).credit, 5u);
}

TEST(Codec, AWrongShapeIsBadBodyNamingTheField) {
    EXPECT_EQ(error_of([] { decode<ready>("\x91\xa1x"); }), decode_errc::bad_body);  // ["x"]
    EXPECT_EQ(error_of([] { decode<ready>("\x90"); }), decode_errc::bad_body);       // []
    EXPECT_EQ(error_of([] { decode<ready>("\x05"); }), decode_errc::bad_body);       // 5
    EXPECT_EQ(error_of([] {
                  decode<fetch>(
                      "\x91\x91\xc4\x03"
                      "abc");
              }),
              decode_errc::bad_body);
    try {
        decode<hello>(encode(hello{peer_role::client, "c", 0, {}})
                          .replace(1, 7,
                                   "\xa6"
                                   "pirate"));
        FAIL() << "decoded a bad role";
    } catch (const decode_error& e) {
        EXPECT_NE(std::string(e.what()).find("role"), std::string::npos) << e.what();
    }
}

TEST(Codec, AHeaderClaimingFourBillionElementsIsRejectedBeforeAllocating) {
    // [array32 with 2^32-1 elements]: 5 bytes.
    const std::string body = "\xdd\xff\xff\xff\xff";
    EXPECT_EQ(error_of([&] { decode<submit>(body); }), decode_errc::too_many_elements);
    // A nested claim inside a valid-looking SUBMIT.
    const std::string nested = "\x91\xdd\xff\xff\xff\xff";
    EXPECT_EQ(error_of([&] { decode<submit>(nested); }), decode_errc::too_many_elements);
}

TEST(Codec, ABatchOverTheLimitIsRefused) {
    fetch big;
    for (int i = 0; i < 11; ++i) big.ids.push_back(id_of(static_cast<std::uint8_t>(i)));
    decode_limits limits;
    limits.max_elements = 10;
    EXPECT_EQ(error_of([&] { decode<fetch>(encode(big), limits); }),
              decode_errc::too_many_elements);
    big.ids.pop_back();
    EXPECT_EQ(decode<fetch>(encode(big), limits).ids.size(), 10u);
}

TEST(Codec, ABadTaskIsRefusedAloneNotItsWholeBatch) {
    submit m{{{id_of(1), "add", "default", "\x90", {}},
              {id_of(2), "add", "default", "\x90", {}},
              {id_of(3), "add", "default", "\x90", {}}},
             {}};
    std::string body = encode(m);
    // Make the second task's name empty: find its "add" (the second occurrence).
    const auto first = body.find(
        "\xa3"
        "add");
    const auto second = body.find(
        "\xa3"
        "add",
        first + 1);
    body.replace(second, 4, "\xa0");
    const auto out = decode<submit>(body);
    ASSERT_EQ(out.tasks.size(), 2u);
    EXPECT_EQ(out.tasks[0].id, id_of(1));
    EXPECT_EQ(out.tasks[1].id, id_of(3));
    ASSERT_EQ(out.malformed.size(), 1u);
    EXPECT_EQ(out.malformed[0].id, id_of(2));
    EXPECT_EQ(out.malformed[0].error.type, "bad_task");
}

TEST(Codec, ABadDispatchEntryIsNamedWithItsAttemptAndItsNeighboursDecode) {
    dispatch m{{{id_of(1), "add", "\x90", 1, {}},
                {id_of(2), "add", "\x90", 4, {}},
                {id_of(3), "add", "\x90", 1, {}}},
               {},
               0};
    std::string body = encode(m);
    const auto first = body.find(
        "\xa3"
        "add");
    const auto second = body.find(
        "\xa3"
        "add",
        first + 1);
    body.replace(second, 4, "\x2a");  // the name becomes the integer 42
    const auto out = decode<dispatch>(body);
    ASSERT_EQ(out.tasks.size(), 2u);
    EXPECT_EQ(out.tasks[0].id, id_of(1));
    EXPECT_EQ(out.tasks[1].id, id_of(3));
    ASSERT_EQ(out.malformed.size(), 1u);
    EXPECT_EQ(out.malformed[0].id, id_of(2));
    EXPECT_EQ(out.malformed[0].attempt, 4u);
    EXPECT_NE(out.malformed[0].problem.find("name"), std::string::npos);
    EXPECT_EQ(out.unidentified, 0u);
}

TEST(Codec, ADispatchEntryWithoutAReadableIdIsCountedNotLost) {
    // [[ "junk", [bin(3), ...] , good ]]
    std::string good = encode(dispatch{{{id_of(7), "add", "\x90", 1, {}}}, {}, 0});
    good = good.substr(2);  // the one entry: drop the outer array and the list header
    std::string body =
        "\x91\x93\xa4junk\x95\xc4\x03"
        "abc"
        "\xa3"
        "add"
        "\xc4\x01\x90\x01\x80" +
        good;
    const auto out = decode<dispatch>(body);
    ASSERT_EQ(out.tasks.size(), 1u);
    EXPECT_EQ(out.tasks[0].id, id_of(7));
    EXPECT_TRUE(out.malformed.empty());
    EXPECT_EQ(out.unidentified, 2u);
    // Not a list of entries at all: the body is refused whole.
    EXPECT_EQ(error_of([&] { decode<dispatch>(std::string("\x91\x05")); }), decode_errc::bad_body);
}

// A SUBMIT body of one task add() whose options map is {key: value} (value: msgpack bytes).
std::string one_task_with_option(const std::string& key_str, const std::string& value) {
    std::string body = "\x91\x91\x95\xc4\x10";
    body += std::string(16, 'i');
    body +=
        "\xa3"
        "add"
        "\xa7"
        "default"
        "\xc4\x01\x90"
        "\x81";
    return body + key_str + value;
}

TEST(Codec, AnUnknownOptionIsRefusedAsUnsupported) {
    const auto out =
        decode<submit>(one_task_with_option("\xa6"
                                            "colour",
                                            "\x01"));
    EXPECT_TRUE(out.tasks.empty());
    ASSERT_EQ(out.malformed.size(), 1u);
    EXPECT_EQ(out.malformed[0].error.type, "unsupported");
    EXPECT_NE(out.malformed[0].error.message.find("colour"), std::string::npos);
}

TEST(Codec, PriorityOutsideZeroToNineIsABadTask) {
    task_options opts;
    opts.priority = 12;
    const auto out = decode<submit>(encode(submit{{{id_of(1), "add", "q", "\x90", opts}}, {}}));
    ASSERT_EQ(out.malformed.size(), 1u);
    EXPECT_EQ(out.malformed[0].error.type, "bad_task");
}

TEST(Codec, ANameLongerThan255BytesIsRefused) {
    const auto out =
        decode<submit>(encode(submit{{{id_of(1), std::string(256, 'n'), "q", "\x90", {}}}, {}}));
    EXPECT_TRUE(out.tasks.empty());
    ASSERT_EQ(out.malformed.size(), 1u);
}

TEST(Codec, TheChunkOptionTravelsInSubmitAndDispatch) {
    task_options o;
    o.chunk = true;
    expect_round_trip(submit{{{id_of(1), "add", "q", "\x91\x90", o}}, {}});
    expect_round_trip(dispatch{{{id_of(1), "add", "\x91\x90", 1, o}}, {}, 0});
    EXPECT_EQ(decode<submit>(encode(submit{{{id_of(1), "add", "q", "\x91\x90", o}}, {}}))
                  .tasks.at(0)
                  .options.chunk,
              true);
}

TEST(TaskId, HexRoundTripsAndRandomIdsDiffer) {
    const auto a = task_id::random();
    const auto b = task_id::random();
    EXPECT_NE(a, b);
    EXPECT_EQ(task_id::from_hex(a.to_hex()), a);
    EXPECT_EQ(a.to_hex().size(), 32u);
    EXPECT_EQ((a.bytes[6] & 0xf0), 0x40);  // UUIDv4
    EXPECT_FALSE(task_id::from_hex("xyz"));
    EXPECT_FALSE(task_id::from_hex(std::string(33, 'a')));
    EXPECT_TRUE(task_id::from_hex("123e4567-e89b-42d3-a456-426614174000"));
    EXPECT_FALSE(task_id::from_bytes("short"));
}

}  // namespace

namespace {

TEST(Codec, InputsRoundTripAsOneIdAListOrOnlyAWait) {
    task_options opts;
    opts.inputs = {task_input{0, {id_of(1)}, false}, task_input{2, {id_of(2), id_of(3)}, true},
                   task_input{task_input::no_argument, {id_of(4)}, false}, task_input{1, {}, true}};
    expect_round_trip(submit{{{id_of(9), "add", "default", "\x93\xc0\xc0\xc0", opts}}, {}});
    // On the wire: [0, id], [2, [id, id]], [nil, id], [1, []].
    const std::string body = encode(submit{{{id_of(9), "add", "default", "\x90", opts}}, {}});
    EXPECT_NE(body.find("\xa6inputs\x94\x92\x00\xc4\x10"s), std::string::npos);
    EXPECT_NE(body.find("\x92\xc0\xc4\x10"s), std::string::npos);
}

TEST(Codec, BadInputsAreABadTaskOfTheirOwn) {
    const auto with_inputs = [](const std::string& inputs_value) {
        return decode<submit>(
            one_task_with_option("\xa6"
                                 "inputs",
                                 inputs_value));
    };
    const std::string id = "\xc4\x10"s + std::string(16, 'a');
    // Well formed: [[0, id]].
    EXPECT_EQ(with_inputs("\x91\x92\x00"s + id).tasks.size(), 1u);
    for (const std::string& bad : {
             "\x01"s,                        // not an array
             "\x91\x91\x00"s,                // [index] alone
             "\x91\x92\xa1x"s + id,          // the index a string
             "\x91\x92\x00\x05"s,            // the id an int
             "\x91\x93\x00"s + id + "\x00"s  // three elements
         }) {
        const auto out = with_inputs(bad);
        EXPECT_TRUE(out.tasks.empty());
        ASSERT_EQ(out.malformed.size(), 1u);
        EXPECT_EQ(out.malformed[0].error.type, "bad_task");
    }
}

TEST(Codec, MoreThanTenThousandInputIdsAreRefused) {
    // Across inputs: the task alone is refused.
    task_options opts;
    const std::vector<task_id> half(max_input_ids / 2 + 1, id_of(1));
    opts.inputs = {task_input{0, half, true}, task_input{1, half, true}};
    const auto out =
        decode<submit>(encode(submit{{{id_of(2), "add", "q", "\x92\xc0\xc0", opts}}, {}}));
    ASSERT_EQ(out.malformed.size(), 1u);
    EXPECT_NE(out.malformed[0].error.message.find("more than 10000 input ids"), std::string::npos);
    // In one list: past the decoder's array limit, the whole body.
    opts.inputs = {task_input{0, std::vector<task_id>(max_input_ids + 1, id_of(1)), true}};
    EXPECT_THROW(decode<submit>(encode(submit{{{id_of(2), "add", "q", "\x91\xc0", opts}}, {}})),
                 decode_error);
    opts.inputs = {task_input{0, std::vector<task_id>(max_input_ids, id_of(1)), true}};
    EXPECT_EQ(
        decode<submit>(encode(submit{{{id_of(2), "add", "q", "\x91\xc0", opts}}, {}})).tasks.size(),
        1u);
}

}  // namespace
