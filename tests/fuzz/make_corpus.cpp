// Writes the seed corpus of the fuzz targets: real encoded messages, real configs, real JSON
// arguments, and a few known-bad inputs. The corpus is committed; rerun this only to change it:
//
//     build/fuzz/tests/fuzz/fuzz_make_corpus tests/fuzz/corpus
//
// Files are named after what they hold, so a rerun overwrites rather than adds.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "shoal/client/json_msgpack.hpp"
#include "shoal/proto/codec.hpp"

namespace {

namespace fs = std::filesystem;
using namespace shoal::proto;

fs::path root;

void write(const std::string& target, const std::string& name, std::string_view bytes) {
    const fs::path dir = root / target;
    fs::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

task_id id_of(std::uint8_t n) {
    task_id id;
    for (std::size_t i = 0; i < id.bytes.size(); ++i)
        id.bytes[i] = static_cast<std::uint8_t>(n + i * 17);
    return id;
}

std::string args(std::string_view json) { return shoal::json_to_msgpack(json); }

// fuzz_proto's input: the command byte (with flags), then the body.
template <class M>
void message(const std::string& name, const M& m, std::uint8_t flags = 0) {
    write("fuzz_proto", name,
          std::string(1, static_cast<char>(static_cast<std::uint8_t>(M::cmd) | flags)) + encode(m));
}

// fuzz_proto's raw-frames input: 0x80, then each frame as a length byte and its bytes.
void frames(const std::string& name, std::initializer_list<std::string_view> fs) {
    std::string out(1, '\x80');
    for (std::string_view f : fs) {
        out += static_cast<char>(f.size());
        out += f;
    }
    write("fuzz_proto", name, out);
}

void proto_corpus() {
    hello client_hello;
    client_hello.name = "client-1@host";
    message("hello_client", client_hello);
    hello worker_hello;
    worker_hello.role = peer_role::worker;
    worker_hello.name = "worker-2@host";
    worker_hello.worker = {4, 16, {"add", "fib", "sleep"}, {"gpu", "default"}};
    message("hello_worker", worker_hello);
    message("welcome", welcome{});
    message("heartbeat", heartbeat{});
    message("bye", bye{"shutting down"});
    message("error_reply", error_reply{"bad_body", "SUBMIT: tasks: not an array", id_of(1)});
    message("error_reply_unrelated",
            error_reply{"bad_version", "frame 0 is not SHOAL1", std::nullopt});

    submit s;
    submitted_task t1;
    t1.id = id_of(2);
    t1.name = "add";
    t1.payload = args("[2, 3]");
    s.tasks.push_back(t1);
    submitted_task t2;
    t2.id = id_of(3);
    t2.name = "fib";
    t2.queue = "cpu";
    t2.payload = args("[20]");
    t2.options.priority = 7;
    t2.options.countdown_ms = 1500;
    t2.options.eta_ms = 1'763'700'000'000;
    t2.options.expires_ms = 1'763'800'000'000;
    t2.options.time_limit_ms = 60'000;
    t2.options.max_retries = 3;
    s.tasks.push_back(t2);
    message("submit", s);
    message("submit_tight_limits", s, 0x40);

    accepted acc;
    acc.ids = {id_of(2)};
    acc.refused.push_back({id_of(3), {"unsupported", "option 'eta_ms'", "broker"}});
    message("accepted", acc);

    result r;
    outcome ok;
    ok.id = id_of(2);
    ok.payload = args("5");
    outcome failed;
    failed.id = id_of(3);
    failed.status = task_status::failed;
    failed.error = {"std::runtime_error", "the seeds say boom", "worker-2@host"};
    r.outcomes = {ok, failed};
    message("result", r);

    message("fetch", fetch{{id_of(2), id_of(3)}});
    fetched f;
    f.entries.push_back({id_of(2), result_state::done, ok});
    f.entries.push_back({id_of(4), result_state::pending, std::nullopt});
    f.entries.push_back({id_of(5), result_state::unknown, std::nullopt});
    message("fetched", f);
    shoal::proto::revoke rv;  // unistd.h has a revoke() too
    rv.ids = {id_of(6)};
    message("revoke", rv);
    message("purge", purge{"default"});
    message("purged", purged{"default", 42});
    message("inspect", inspect{"workers"});
    message("admin", admin{"reload-keys", {}, {}});
    message("admin_periodic", admin{"periodic-add",
                                    {{"name", std::string("tick")},
                                     {"task", std::string("add")},
                                     {"schedule", std::string("every 10s")}},
                                    "\x92\x01\x02"});
    report rep;
    rep.what = "workers";
    rep.rows.push_back({{"name", std::string("worker-2@host")},
                        {"slots", std::int64_t{4}},
                        {"credit", std::int64_t{-1}}});
    message("report", rep);
    message("ready", ready{8});

    dispatch d;
    dispatched_task dt;
    dt.id = id_of(2);
    dt.name = "add";
    dt.payload = args("[2, 3]");
    dt.attempt = 2;
    dt.options.time_limit_ms = 1000;
    d.tasks.push_back(dt);
    message("dispatch", d);
    done dn;
    finished_task ft;
    ft.result = ok;
    dn.finished.push_back(ft);
    dn.credit = 1;
    message("done", dn);
    message("done_tight_limits", dn, 0x40);
    cancel c;
    c.ids = {id_of(6)};
    message("cancel", c);

    // Raw frames: a good one, and each way an envelope can be bad.
    const std::string body = encode(inspect{"queues"});
    frames("frames_inspect", {protocol_id, "\x18", body});
    frames("frames_bad_version", {"SHOAL2", "\x18", body});
    frames("frames_bad_command", {protocol_id, "\x7f", body});
    frames("frames_two_byte_command", {protocol_id, "\x18\x18", body});
    frames("frames_four", {protocol_id, "\x18", body, "extra"});
    frames("frames_one", {protocol_id});

    // Known-bad bodies.
    const std::string sub = encode(s);
    write("fuzz_proto", "bad_submit_truncated", "\x10" + sub.substr(0, sub.size() / 2));
    write("fuzz_proto", "bad_submit_trailing", "\x10" + sub + "\xc0");
    write("fuzz_proto", "bad_reserved_byte", std::string("\x10\x91\xc1", 3));
    write("fuzz_proto", "bad_huge_array_header", std::string("\x10\x91\xdd\xff\xff\xff\xff", 7));
    write("fuzz_proto", "bad_deep", "\x10" + std::string(20, '\x91') + '\xc0');
    write("fuzz_proto", "bad_hello_role", "\x01" + encode(worker_hello).replace(2, 6, "banker"));
    write("fuzz_proto", "bad_not_array", std::string("\x22\x81\xa1k\x01", 5));
    write("fuzz_proto", "task_id_hex",
          std::string("\x30") + "6ae6aa81-d06b-4cef-ad00-4c3c237e6466");
}

void config_corpus() {
    const std::string target = "fuzz_broker_config";
    write(target, "all_keys.toml",
          "bind = \"tcp://127.0.0.1:5555\"\nheartbeat_ms = 1000\nliveness = 3\n"
          "result_ttl_s = 3600\nmax_results = 5000000\nmax_tombstones = 1000000\n"
          "max_attempts = 5\nmax_batch = 10000\nmax_message_bytes = 16777216\n"
          "drain_max = 512\nlog_level = \"info\"\nredis = \"redis://:secret@127.0.0.1:6379/2\"\n"
          "redis_result_ttl_s = 86400\nredis_timeout_ms = 2000\n");
    write(target, "ipc.toml",
          "# a local broker\nbind = \"ipc:///tmp/shoal.sock\"\nmax_results = 10\n");
    write(target, "unix_redis.toml",
          "redis = 'unix:///run/redis.sock?db=3'\nlog_level = 'debug'\n");
    write(target, "empty.toml", "");
    write(target, "bad_unknown_key.toml", "bind = \"tcp://*:5555\"\nworkers = 4\n");
    write(target, "bad_range.toml", "heartbeat_ms = 5\n");
    write(target, "bad_negative.toml", "liveness = -1\n");
    write(target, "bad_type.toml", "max_batch = \"many\"\n");
    write(target, "bad_table.toml", "[broker]\nbind = \"tcp://127.0.0.1:5555\"\n");
    write(target, "bad_syntax.toml", "bind = \"tcp://127.0.0.1:5555\n");
    write(target, "bad_redis.toml", "redis = \"redis://host:99999\"\n");
    write(target, "task_routes.toml", "task_routes = \"train=gpu, resize=images\"\n");
    write(target, "task_routes_table.toml",
          "liveness = 4\n[task_routes]\ntrain = \"gpu\"\n\"images.resize\" = \"images\"\n");
    write(target, "bad_task_routes.toml", "task_routes = \"train=gpu,train=cpu\"\n");
    write(target, "bad_task_routes_table.toml", "[task_routes]\ntrain = 3\n");
    // Regressions: toml++ 3.3 reached __builtin_unreachable() on these (non-ASCII where it
    // looks for whitespace); apply_toml now refuses non-ASCII text first.
    write(target, "regress_toml_unreachable_fefe.toml", "E=\xef\xbb\xbe[");
    write(target, "regress_toml_unreachable_latin1.toml", "s = \"\"\"\\\n\xc2\xa7\"\"\"\n");
    write(target, "env_all",
          "#env\nSHOAL_BIND=tcp://0.0.0.0:5555\nSHOAL_LIVENESS=5\n"
          "SHOAL_LOG_LEVEL=warn\nSHOAL_REDIS=redis://127.0.0.1\n"
          "SHOAL_TASK_ROUTES=train=gpu\n");
    write(target, "env_bad_number", "#env\nSHOAL_MAX_BATCH=10k\n");
}

void json_corpus() {
    const std::string target = "fuzz_json_msgpack";
    write(target, "int", "5");
    write(target, "negative", "-9000000000");
    write(target, "float", "2.5e-3");
    write(target, "string", "\"h\\u00e9llo \\ud83d\\ude00\"");
    write(target, "literals", "[true, false, null]");
    write(target, "object", R"({"a": [1, 2], "b": {"c": "d"}, "$bin": "AAEC"})");
    write(target, "args", "2\n\"x\"\n[1, 2.5]\n{\"k\": null}");
    write(target, "bad_json", "[1,");
    write(target, "bad_two_values", "1 2");
    write(target, "bad_deep", std::string(80, '[') + std::string(80, ']'));
    // At the depth limit (max_json_depth), and one past it: json_to_msgpack accepted 65 nested
    // empty arrays that msgpack_to_json then refused, until its depth guard counted containers.
    write(target, "deep_limit", std::string(62, '[') + "{\"a\": [1]}" + std::string(62, ']'));
    write(target, "regress_deep_empty_arrays", std::string(65, '[') + std::string(65, ']'));
    // msgpack to JSON: what workers return, and what a C++ result can hold.
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> p(buf);
    p.pack_map(3);
    p.pack(1);
    p.pack(std::string("one"));
    p.pack(std::string("bin"));
    p.pack_bin(3);
    p.pack_bin_body("\x00\x01\x02", 3);
    p.pack(std::string("ext"));
    p.pack_ext(2, 5);
    p.pack_ext_body("\x09\x08", 2);
    write(target, "msgpack_map", std::string(1, '\0') + std::string(buf.data(), buf.size()));
    write(target, "msgpack_indented",
          std::string(1, '\0') + args(R"({"a": [1, -2, 1.5, "x", null]})"));
    write(target, "msgpack_nan", std::string("\0\xcb\x7f\xf8\0\0\0\0\0\0", 10));
    write(target, "msgpack_bad_utf8", std::string("\0\xa2\xff\xfe", 4));
    write(target, "msgpack_bad_truncated", std::string("\0\x92\x01", 3));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus directory>\n", argv[0]);
        return 2;
    }
    root = argv[1];
    proto_corpus();
    config_corpus();
    json_corpus();
    return 0;
}
