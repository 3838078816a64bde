// PROTOCOL.md section 12's test vectors, read from the document itself: every vector is built
// here as its message struct (or its payload value), and the C++ encoder must write exactly the
// document's bytes and the decoder read them back as the same struct. Every vector of the
// document is checked, and every command has one. A second implementation (clients/python)
// checks the same blocks, so the document, not this file, is the contract.
//
// A vector is a fenced block whose info string is `shoal-vector NAME`, its content lowercase hex
// pairs separated by single spaces, at most 32 pairs a line. When a vector fails, the message
// shows the block the encoder writes, ready to paste.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/proto/codec.hpp"

#ifndef SHOAL_PROTOCOL_MD
#error "SHOAL_PROTOCOL_MD must name proto/PROTOCOL.md (tests/CMakeLists.txt)"
#endif

namespace {

using namespace shoal::proto;
using namespace std::string_literals;

constexpr std::string_view vectors_heading = "## 12. Encodings and test vectors";
constexpr std::string_view fence_open = "```shoal-vector ";
constexpr std::size_t max_pairs_per_line = 32;

// ---- bytes and hex ----

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (const int v : values) out.push_back(static_cast<char>(v));
    return out;
}

// Lowercase hex pairs separated by single spaces; a newline instead of a space after every
// `per_line` pairs (0: one line).
std::string hex(std::string_view data, std::size_t per_line = 0) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (i > 0) out.push_back(per_line != 0 && i % per_line == 0 ? '\n' : ' ');
        const auto b = static_cast<unsigned char>(data[i]);
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xf]);
    }
    return out;
}

// The block as the document should hold it.
std::string block(std::string_view name, std::string_view data) {
    return "```shoal-vector " + std::string(name) + "\n" + hex(data, max_pairs_per_line) + "\n```";
}

// Ids the vectors use: 00 01 .. 0f, 10 11 .. 1f and 20 21 .. 2f.
task_id id_from(std::uint8_t first) {
    task_id id;
    for (std::size_t i = 0; i < id.bytes.size(); ++i) {
        id.bytes[i] = static_cast<std::uint8_t>(first + i);
    }
    return id;
}
const task_id id_a = id_from(0x00);
const task_id id_b = id_from(0x10);
const task_id id_c = id_from(0x20);

// ---- the document ----

struct doc_vector {
    std::string bytes;
    int line = 0;  // of the opening fence
};

struct document {
    std::map<std::string, doc_vector> vectors;
    std::vector<std::string> order;  // names as they appear
    // The table of section 12: NAME -> command byte, or nullopt for `payload`.
    std::map<std::string, std::optional<std::uint8_t>> table;
    std::vector<std::string> problems;  // what is malformed, with its line
};

std::optional<std::uint8_t> hex_byte(std::string_view pair) {
    if (pair.size() != 2) return std::nullopt;
    int value = 0;
    for (const char c : pair) {
        value <<= 4;
        if (c >= '0' && c <= '9') {
            value |= c - '0';
        } else if (c >= 'a' && c <= 'f') {
            value |= c - 'a' + 10;
        } else {
            return std::nullopt;
        }
    }
    return static_cast<std::uint8_t>(value);
}

bool is_vector_name(std::string_view name) {
    if (name.empty()) return false;
    for (const char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

// A line of hex pairs: single spaces between them, none at either end.
bool read_hex_line(std::string_view line, std::string& out, std::size_t& pairs) {
    pairs = 0;
    if (line.empty()) return false;
    std::size_t pos = 0;
    while (true) {
        const auto byte = hex_byte(line.substr(pos, 2));
        if (!byte) return false;
        out.push_back(static_cast<char>(*byte));
        ++pairs;
        pos += 2;
        if (pos == line.size()) return true;
        if (line[pos] != ' ') return false;
        ++pos;
    }
}

// A row of the section's table: | `NAME` | 0xNN | ... or | `NAME` | payload | ...
void read_table_row(std::string_view line, int number, document& doc) {
    if (line.substr(0, 3) != "| `") return;
    const auto name_end = line.find('`', 3);
    if (name_end == std::string_view::npos) return;
    const std::string name(line.substr(3, name_end - 3));
    if (!is_vector_name(name)) return;
    std::string_view rest = line.substr(name_end + 1);
    if (rest.substr(0, 3) != " | ") return;
    rest.remove_prefix(3);
    const std::string_view kind = rest.substr(0, rest.find(' '));
    std::optional<std::uint8_t> byte;
    if (kind == "payload") {
        byte = std::nullopt;
    } else if (kind.size() == 4 && kind.substr(0, 2) == "0x" && hex_byte(kind.substr(2))) {
        byte = hex_byte(kind.substr(2));
    } else {
        doc.problems.push_back("line " + std::to_string(number) + ": table row `" + name +
                               "`: the second column is neither 0xNN (lowercase) nor payload");
        return;
    }
    if (!doc.table.emplace(name, byte).second) {
        doc.problems.push_back("line " + std::to_string(number) + ": `" + name +
                               "` is listed twice in the table");
    }
}

document parse(std::istream& in) {
    document doc;
    std::string line;
    std::string previous;
    int number = 0;
    bool in_section = false;
    bool in_other_fence = false;
    while (std::getline(in, line)) {
        ++number;
        if (line.rfind("## ", 0) == 0) in_section = line == vectors_heading;
        if (line.rfind(fence_open, 0) == 0) {
            const int open_line = number;
            const std::string name = line.substr(fence_open.size());
            const auto where = "line " + std::to_string(open_line) + ": vector `" + name + "`: ";
            if (!is_vector_name(name)) doc.problems.push_back(where + "not a lowercase name");
            if (!in_section)
                doc.problems.push_back(where + "outside " + std::string(vectors_heading));
            if (previous.empty()) {
                doc.problems.push_back(where + "no prose line right before the block");
            }
            doc_vector v;
            v.line = open_line;
            bool closed = false;
            while (std::getline(in, line)) {
                ++number;
                if (line == "```") {
                    closed = true;
                    break;
                }
                std::size_t pairs = 0;
                if (!read_hex_line(line, v.bytes, pairs)) {
                    doc.problems.push_back(where + "line " + std::to_string(number) +
                                           " is not lowercase hex pairs separated by single "
                                           "spaces");
                } else if (pairs > max_pairs_per_line) {
                    doc.problems.push_back(where + "line " + std::to_string(number) +
                                           " has more than 32 pairs");
                }
            }
            if (!closed) doc.problems.push_back(where + "no closing fence");
            if (v.bytes.empty()) doc.problems.push_back(where + "no bytes");
            if (doc.vectors.emplace(name, v).second) {
                doc.order.push_back(name);
            } else {
                doc.problems.push_back(where + "a second vector of that name");
            }
            previous = line;
            continue;
        }
        if (line.rfind("```", 0) == 0) in_other_fence = !in_other_fence;
        if (in_section && !in_other_fence) read_table_row(line, number, doc);
        previous = line;
    }
    return doc;
}

const document& protocol_md() {
    static const document doc = [] {
        std::ifstream in(SHOAL_PROTOCOL_MD);
        if (!in) {
            document missing;
            missing.problems.push_back("cannot read " + std::string(SHOAL_PROTOCOL_MD));
            return missing;
        }
        return parse(in);
    }();
    return doc;
}

// ---- the vectors, built in C++ ----

struct vector_case {
    std::string name;
    std::optional<command> cmd;  // nullopt: a payload (task arguments, a result, an error)
    // The bytes this side writes for the vector's value.
    std::function<std::string()> encode;
    // Reads the document's bytes back: an empty string when they give the vector's value,
    // otherwise what they gave instead.
    std::function<std::string(std::string_view)> check_decode;
};

// A message vector: encode(m) must be the bytes, decode<M>(bytes) must be m (or `decoded`,
// when the decoder normalises what it keeps, as it does an event's map header).
template <class M>
vector_case message(std::string name, M m, std::optional<M> decoded = std::nullopt) {
    return {std::move(name), M::cmd, [m] { return encode(m); },
            [m, decoded](std::string_view data) -> std::string {
                const M back = decode<M>(data);
                if (back == decoded.value_or(m)) return {};
                return "a different message, which encodes as " + hex(encode(back));
            }};
}

// Task arguments: pack_arguments(args...) must be the bytes, unpack_arguments reads them back.
template <class... Args>
vector_case arguments(std::string name, Args... args) {
    return {
        std::move(name), std::nullopt, [args...] { return shoal::detail::pack_arguments(args...); },
        [args...](std::string_view data) -> std::string {
            const auto back = shoal::detail::unpack_arguments<Args...>(data, "vector");
            if (back == std::tuple<Args...>(args...)) return {};
            return "other arguments, which pack as " +
                   hex(std::apply(
                       [](const auto&... a) { return shoal::detail::pack_arguments(a...); }, back));
        }};
}

// A result value (or an error array): pack_result must be the bytes, unpack_result reads it.
template <class R>
vector_case result_value(std::string name, R value) {
    return {std::move(name), std::nullopt, [value] { return shoal::detail::pack_result(value); },
            [value](std::string_view data) -> std::string {
                const R back = shoal::detail::unpack_result<R>(data);
                if (back == value) return {};
                return "another value, which packs as " + hex(shoal::detail::pack_result(back));
            }};
}

task_options with(const std::function<void(task_options&)>& set) {
    task_options o;
    set(o);
    return o;
}

// An event as the broker writes it (a map16 header whatever its size), or with the smallest
// header, as the decoder hands it on.
std::string received_event(bool map16) {
    std::string out;
    shoal::detail::string_stream stream{&out};
    msgpack::packer<shoal::detail::string_stream> p(stream);
    const auto str = [&](std::string_view s) {
        p.pack_str(static_cast<std::uint32_t>(s.size()));
        p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
    };
    if (map16) {
        out += bytes({0xde, 0x00, 0x08});
    } else {
        p.pack_map(8);
    }
    str("type");
    str("task-received");
    str("timestamp");
    p.pack_double(1700000000.5);
    str("clock");
    p.pack(std::uint64_t{7});
    str("uuid");
    str(id_a.to_hex());
    str("name");
    str("add");
    str("hostname");
    str("worker-1@host-a");
    str("attempt");
    p.pack(std::uint64_t{1});
    str("retries");
    p.pack(std::uint64_t{0});
    return out;
}

const std::string args_2_3 = bytes({0x92, 0x02, 0x03});
const std::string result_5 = bytes({0x05});
const error_info boom{"std::runtime_error", "boom", "worker-1@host-a"};

std::vector<vector_case> make_cases() {
    std::vector<vector_case> v;

    // -- handshake and liveness --
    v.push_back(
        message("hello_client", hello{peer_role::client, "client-1", 6, {}, "shoal/0.2.0"}));
    v.push_back(
        message("hello_worker",
                hello{peer_role::worker, "worker-1@host-a", 6,
                      worker_details{4, 2, {"add", "echo"}, {"default", "cpu"}}, "shoal/0.2.0"}));
    v.push_back(message("welcome_defaults", welcome{1000, 3, 16777216, 10000, 67108864}));
    v.push_back(message("heartbeat_empty", heartbeat{std::nullopt}));
    v.push_back(message("heartbeat_received", heartbeat{70000}));
    v.push_back(message("bye", bye{"draining"}));
    v.push_back(message(
        "error_plain", error_reply{"bad_body", "tasks: not an array", std::nullopt, std::nullopt}));
    v.push_back(message("error_with_task",
                        error_reply{"not_registered", "say HELLO first", id_a, std::nullopt}));
    v.push_back(message("error_answers", error_reply{"forbidden", "PURGE needs an admin key",
                                                     std::nullopt, command::purge}));

    // -- client and broker --
    v.push_back(
        message("submit_with_options",
                submit{{submitted_task{id_a, "add", "default", args_2_3, with([](task_options& o) {
                                           o.priority = 5;
                                           o.expires_ms = 1'700'000'000'000ULL;
                                           o.time_limit_ms = 30'000;
                                           o.max_retries = 3;
                                           o.retry_backoff = true;
                                           o.retry_on = {"std::runtime_error"};
                                       })}},
                       {}}));
    v.push_back(message(
        "submit_no_options",
        submit{
            {submitted_task{id_b, "echo", "cpu", bytes({0x91, 0xc4, 0x03, 0x00, 0x01, 0xff}), {}}},
            {}}));
    v.push_back(message(
        "submit_with_inputs",
        submit{{submitted_task{
                   id_c, "add", "default", bytes({0x92, 0xc0, 0x0a}), with([](task_options& o) {
                       o.countdown_ms = 500;
                       o.inputs = {{0, {id_a}, false}, {task_input::no_argument, {id_b}, false}};
                   })}},
               {}}));
    v.push_back(
        message("submit_chord", submit{{submitted_task{id_c, "sum", "default", bytes({0x91, 0xc0}),
                                                       with([](task_options& o) {
                                                           o.inputs = {{0, {id_a, id_b}, true}};
                                                       })}},
                                       {}}));
    v.push_back(
        message("submit_chunk",
                submit{{submitted_task{id_a, "add", "default",
                                       bytes({0x91, 0x92, 0x92, 0x01, 0x02, 0x92, 0x03, 0x04}),
                                       with([](task_options& o) {
                                           o.eta_ms = 1'700'000'000'000ULL;
                                           o.soft_time_limit_ms = 20'000;
                                           o.retry_delay_ms = 2000;
                                           o.retry_backoff_max_ms = 60'000;
                                           o.retry_jitter = false;
                                           o.chunk = true;
                                       })}},
                       {}}));
    v.push_back(message("accepted_all", accepted{{id_a, id_b}, {}, 0}));
    v.push_back(message(
        "accepted_refused_busy",
        accepted{{id_a},
                 {refusal{id_b, {"busy", "the broker holds all the tasks it may", "broker"}}},
                 250}));
    v.push_back(
        message("result_ok", result{{outcome{id_a, task_status::ok, result_5, error_info{}}}}));
    v.push_back(message("result_failed", result{{outcome{id_b, task_status::failed, "", boom}}}));
    v.push_back(message("fetch", fetch{{id_a, id_b}}));
    v.push_back(message(
        "fetched", fetched{{fetched_entry{id_a, result_state::done,
                                          outcome{id_a, task_status::ok, result_5, error_info{}}},
                            fetched_entry{id_b, result_state::pending, std::nullopt}},
                           {id_c}}));
    v.push_back(message("revoke", shoal::proto::revoke{{id_a}, false}));
    v.push_back(message("revoke_terminate", shoal::proto::revoke{{id_a, id_b}, true}));
    v.push_back(message("requeue", requeue{{id_a}}));
    v.push_back(message("purge", purge{"default"}));
    v.push_back(message("purged", purged{"default", 42}));
    v.push_back(message("inspect", inspect{"workers"}));
    v.push_back(message("admin_action_only", admin{"reload-keys", {}, {}}));
    v.push_back(message("admin_params", admin{"periodic-remove", {{"name", "tick"s}}, {}}));
    v.push_back(message("admin_params_payload",
                        admin{"periodic-add",
                              {{"name", "tick"s}, {"task", "add"s}, {"schedule", "every 10s"s}},
                              args_2_3}));
    v.push_back(message(
        "report",
        report{
            "queues",
            {{{"name", "default"s}, {"length", std::int64_t{3}}, {"consumers", std::int64_t{1}}},
             {{"name", "cpu"s}, {"length", std::int64_t{300}}, {"consumers", std::int64_t{0}}}}}));
    v.push_back(message("subscribe_on", subscribe{true}));
    v.push_back(message("subscribe_off", subscribe{false}));
    // The broker's map16 header reads back as the same map with its smallest header.
    v.push_back(message("events", events{{received_event(true)}, 3},
                        std::optional<events>(events{{received_event(false)}, 3})));

    // -- worker and broker --
    v.push_back(message("ready", ready{8}));
    v.push_back(
        message("dispatch",
                dispatch{{dispatched_task{id_a, "add", args_2_3, 1, with([](task_options& o) {
                                              o.time_limit_ms = 30'000;
                                              o.soft_time_limit_ms = 25'000;
                                          })},
                          dispatched_task{id_b, "echo", bytes({0x91, 0xc4, 0x01, 0x2a}), 2, {}}},
                         {},
                         0}));
    v.push_back(message("done_minimal",
                        done{{finished_task{outcome{id_a, task_status::ok, result_5, error_info{}},
                                            1, std::nullopt, std::nullopt}},
                             1}));
    v.push_back(
        message("done_runtimes_retry",
                done{{finished_task{outcome{id_a, task_status::ok, result_5, error_info{}}, 1,
                                    std::nullopt, 1200},
                      finished_task{outcome{id_b,
                                            task_status::failed,
                                            "",
                                            {"shoal::retry", "rate-limited", "worker-1@host-a"}},
                                    2, 5000, 350}},
                     2}));
    v.push_back(message("cancel", cancel{{id_a}, false}));
    v.push_back(message("cancel_terminate", cancel{{id_a}, true}));
    v.push_back(message("started", started{{task_attempt{id_a, 1}, task_attempt{id_b, 2}}}));
    v.push_back(message("drain", drain{{task_attempt{id_b, 1}}}));

    // -- payloads: task arguments, results, an error --
    v.push_back(arguments("args_add", 2, 3));
    v.push_back(arguments("args_none"));
    v.push_back(arguments("args_str", "h\xc3\xa9llo"s));
    v.push_back(arguments("args_long_str", "abcdefghijklmnopqrstuvwxyz0123456789ABCD"s));
    v.push_back(arguments("args_bin", std::vector<char>{'\x00', '\x01', '\xff'}));
    v.push_back(arguments("args_ints", std::int64_t{0}, std::int64_t{127}, std::int64_t{128},
                          std::int64_t{255}, std::int64_t{256}, std::int64_t{65536},
                          std::int64_t{4294967296}, std::int64_t{-1}, std::int64_t{-32},
                          std::int64_t{-33}, std::int64_t{-129}, std::int64_t{-32769}));
    v.push_back(arguments("args_floats", 1.5, 2.0));
    v.push_back(arguments("args_mixed", true, std::optional<int>{}, std::vector<int>{1, 2, 3},
                          std::map<std::string, int>{{"a", 1}, {"b", 2}}));
    v.push_back(result_value("result_int", 5));
    v.push_back(result_value("result_nil", std::optional<int>{}));
    v.push_back(result_value(
        "result_map", std::map<std::string, std::string>{{"name", "shoal"}, {"state", "ok"}}));
    v.push_back(result_value("error_array", std::tuple<std::string, std::string, std::string>{
                                                boom.type, boom.message, boom.where}));
    return v;
}

const std::vector<vector_case>& cases() {
    static const std::vector<vector_case> all = make_cases();
    return all;
}

const vector_case* case_named(std::string_view name) {
    for (const auto& c : cases()) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

std::string kind_of(const vector_case& c) {
    if (!c.cmd) return "payload";
    return std::string(command_name(*c.cmd));
}

// ---- the tests ----

TEST(ProtocolVectors, DocumentIsWellFormed) {
    const auto& doc = protocol_md();
    for (const auto& problem : doc.problems) ADD_FAILURE() << "PROTOCOL.md " << problem;
    EXPECT_FALSE(doc.vectors.empty()) << "no shoal-vector block in " << SHOAL_PROTOCOL_MD;
}

TEST(ProtocolVectors, EveryMessageEncodesToItsVector) {
    const auto& doc = protocol_md();
    for (const auto& c : cases()) {
        if (!c.cmd) continue;
        const std::string written = c.encode();
        const auto it = doc.vectors.find(c.name);
        if (it == doc.vectors.end()) {
            ADD_FAILURE() << "vector " << c.name << " (" << kind_of(c)
                          << ") is not in PROTOCOL.md; the encoder writes:\n"
                          << block(c.name, written);
            continue;
        }
        EXPECT_EQ(hex(written), hex(it->second.bytes))
            << "vector " << c.name << " (" << kind_of(c) << ", PROTOCOL.md line " << it->second.line
            << "): the encoder writes\n"
            << block(c.name, written);
    }
}

TEST(ProtocolVectors, EveryVectorDecodesToItsMessage) {
    const auto& doc = protocol_md();
    for (const auto& c : cases()) {
        if (!c.cmd) continue;
        const auto it = doc.vectors.find(c.name);
        if (it == doc.vectors.end()) continue;  // EveryMessageEncodesToItsVector says so
        try {
            const std::string wrong = c.check_decode(it->second.bytes);
            EXPECT_EQ(wrong, "") << "vector " << c.name << " (" << kind_of(c) << ") decodes to "
                                 << wrong;
        } catch (const decode_error& e) {
            ADD_FAILURE() << "vector " << c.name << " (" << kind_of(c)
                          << ") does not decode: " << e.what();
        }
    }
}

TEST(ProtocolVectors, EveryPayloadPacksToItsVectorAndUnpacksToItsValue) {
    const auto& doc = protocol_md();
    for (const auto& c : cases()) {
        if (c.cmd) continue;
        const std::string written = c.encode();
        const auto it = doc.vectors.find(c.name);
        if (it == doc.vectors.end()) {
            ADD_FAILURE() << "payload vector " << c.name << " is not in PROTOCOL.md; it packs as:\n"
                          << block(c.name, written);
            continue;
        }
        EXPECT_EQ(hex(written), hex(it->second.bytes))
            << "payload vector " << c.name << " (PROTOCOL.md line " << it->second.line
            << ") packs as\n"
            << block(c.name, written);
        try {
            const std::string wrong = c.check_decode(it->second.bytes);
            EXPECT_EQ(wrong, "") << "payload vector " << c.name << " unpacks to " << wrong;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "payload vector " << c.name << " does not unpack: " << e.what();
        }
    }
}

TEST(ProtocolVectors, ANilResultIsWhatATaskReturningNothingSends) {
    const auto& doc = protocol_md();
    const auto it = doc.vectors.find("result_nil");
    ASSERT_NE(it, doc.vectors.end()) << "vector result_nil is not in PROTOCOL.md";
    EXPECT_EQ(hex(shoal::detail::pack_nil()), hex(it->second.bytes)) << "vector result_nil";
}

TEST(ProtocolVectors, AFailedOutcomeCarriesTheErrorArray) {
    const auto& doc = protocol_md();
    const auto failed = doc.vectors.find("result_failed");
    const auto error = doc.vectors.find("error_array");
    ASSERT_NE(failed, doc.vectors.end()) << "vector result_failed is not in PROTOCOL.md";
    ASSERT_NE(error, doc.vectors.end()) << "vector error_array is not in PROTOCOL.md";
    const std::string& outer = failed->second.bytes;
    const std::string& inner = error->second.bytes;
    ASSERT_GE(outer.size(), inner.size());
    EXPECT_EQ(hex(outer.substr(outer.size() - inner.size())), hex(inner))
        << "vector result_failed should end with vector error_array (the same error)";
}

TEST(ProtocolVectors, EveryVectorInTheDocumentIsChecked) {
    for (const auto& name : protocol_md().order) {
        EXPECT_NE(case_named(name), nullptr)
            << "vector " << name << " of PROTOCOL.md is built by no case of this test";
    }
}

TEST(ProtocolVectors, EveryCommandHasAVector) {
    std::set<command> covered;
    for (const auto& c : cases()) {
        if (c.cmd && protocol_md().vectors.count(c.name) != 0) covered.insert(*c.cmd);
    }
    int commands = 0;
    for (int byte = 0; byte <= 0xff; ++byte) {
        const auto cmd = command_from_byte(static_cast<std::uint8_t>(byte));
        if (!cmd) continue;
        ++commands;
        EXPECT_EQ(covered.count(*cmd), 1u)
            << "command " << command_name(*cmd) << " (0x"
            << hex(std::string(1, static_cast<char>(byte))) << ") has no vector in PROTOCOL.md";
    }
    EXPECT_EQ(commands, 25) << "a command was added: give it a vector in PROTOCOL.md section 12";
}

TEST(ProtocolVectors, TheTableListsEveryVectorWithItsCommand) {
    const auto& doc = protocol_md();
    for (const auto& name : doc.order) {
        const auto row = doc.table.find(name);
        if (row == doc.table.end()) {
            ADD_FAILURE() << "vector " << name << " has no row in section 12's table";
            continue;
        }
        const vector_case* c = case_named(name);
        if (c == nullptr) continue;  // EveryVectorInTheDocumentIsChecked says so
        const std::optional<std::uint8_t> expected =
            c->cmd ? std::optional<std::uint8_t>(static_cast<std::uint8_t>(*c->cmd)) : std::nullopt;
        EXPECT_TRUE(row->second == expected)
            << "vector " << name << ": the table says "
            << (row->second ? "0x" + hex(std::string(1, static_cast<char>(*row->second)))
                            : "payload"s)
            << ", the vector is " << kind_of(*c);
    }
    for (const auto& [name, byte] : doc.table) {
        EXPECT_EQ(doc.vectors.count(name), 1u)
            << "section 12's table lists " << name << ", which has no shoal-vector block";
    }
}

}  // namespace
