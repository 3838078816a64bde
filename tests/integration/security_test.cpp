// Security (SECURITY.md, PROTOCOL.md 2.1) with real processes and real CURVE sockets: keys made
// by `shoal keygen`, a broker with a keys directory, a worker and the CLI with key files. Each
// refusal is checked for what the peer sees and for being counted, while a good client is
// served beside it.
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "broker_test_peer.hpp"
#include "process/key_dir.hpp"
#include "process/local_cluster.hpp"
#include "process/wait_until.hpp"
#include "redis/redis_server.hpp"
#include "shoal/proto/curve_keys.hpp"

namespace {

namespace fs = std::filesystem;
using shoal::testing::cluster_paths;
using shoal::testing::key_dir;
using shoal::testing::local_cluster;
using shoal::testing::wait_until;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::vector<std::string> joined(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

class SecurityTest : public ::testing::Test {
  protected:
    explicit SecurityTest(const std::vector<std::string>& more_broker_args = {})
        : alice_(keys_.add("alice", "clients")),
          ops_(keys_.add("ops", "admins")),
          w1_(keys_.add("w1", "workers")),
          // A raw client heartbeats only while the test waits on a peer, not while a CLI
          // process runs: a liveness of 20 s (not local_cluster's 300 ms) keeps its session
          // through a slow CLI run on a loaded machine (ShoalAdminReloadKeys... once saw its
          // raw session end by silence before the reload could end it).
          cluster_(joined({"--secret-key", keys_.broker_secret(), "--keys-dir", keys_.keys(),
                           "--heartbeat-ms", "100", "--liveness", "200"},
                          more_broker_args)) {}

    // A raw client (tests/support/broker_test_peer.hpp) with NAME's key, after its HELLO: for a
    // test that chooses the ids. Kept alive by heartbeats while any peer waits.
    std::unique_ptr<shoal::broker::testing::test_peer> raw_client(const std::string& name) {
        auto peer = std::make_unique<shoal::broker::testing::test_peer>(
            context_, cluster_.endpoint(), keys_.curve_setup(name));
        peer->hello_client(name);
        peer->stay_alive();
        return peer;
    }
    // Authorises a new client key (SIGHUP) and waits until it is served (`inspect workers`
    // answers with no worker too; `status` would not).
    std::string add_client(const std::string& name) {
        const std::string secret = keys_.add(name, "clients");
        cluster_.broker().signal(SIGHUP);
        EXPECT_TRUE(wait_until(
            [&] {
                return cli_as(secret, {"inspect", "workers", "--timeout", "5"}).status == 0;
            },
            30.0));
        return secret;
    }

    void SetUp() override { ASSERT_FALSE(cluster_.endpoint().empty()); }

    // The CLI with a key (empty: plaintext), stdout and stderr together.
    local_cluster::cli_result cli_as(const std::string& secret, std::vector<std::string> args,
                                     double timeout_s = 30.0) {
        std::vector<std::string> argv{cluster_paths::cli()};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--broker", cluster_.endpoint()});
        if (!secret.empty())
            argv.insert(argv.end(), {"--broker-key", keys_.broker_public(), "--key", secret});
        return shoal::testing::run_merged(argv, timeout_s);
    }

    void start_worker(const std::string& name, const std::string& secret) {
        cluster_.add_worker(name, {"--broker-key", keys_.broker_public(), "--key", secret,
                                   "--threads", "1", "--processes", "1"});
    }

    // A counter of INSPECT stats, read with the admin key.
    long stat(const std::string& name) {
        const auto r = cli_as(ops_, {"inspect", "stats", "--json"});
        if (r.status != 0) return -1;
        const auto doc = nlohmann::json::parse(r.out, nullptr, false);
        if (doc.is_discarded()) return -1;
        for (const auto& row : doc["rows"]) {
            if (row.contains(name)) return row[name].is_number() ? row[name].get<long>() : -1;
        }
        return -1;
    }

    bool alice_is_served() {
        const auto r =
            cli_as(alice_, {"submit", "add", "2", "3", "--wait", "--wait-timeout", "30"});
        return r.status == 0 && r.out == "5\n";
    }

    zmq::context_t context_{1};
    key_dir keys_;
    std::string alice_;
    std::string ops_;
    std::string w1_;
    local_cluster cluster_;
};

TEST_F(SecurityTest, AKeyedClusterRunsTasksEncryptedAndSaysSo) {
    start_worker("w1", w1_);
    ASSERT_TRUE(wait_until([&] { return cli_as(alice_, {"status"}).status == 0; }, 30.0));
    EXPECT_TRUE(alice_is_served());
    const auto r = cli_as(ops_, {"inspect", "stats", "--json"});
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "\"security\":\"curve\"")) << r.out;
    EXPECT_GE(stat("auth_accepted"), 3);
}

TEST_F(SecurityTest, APlaintextClientGetsNoSessionAndIsCounted) {
    const auto r = cli_as("", {"status", "--timeout", "2"});
    EXPECT_EQ(r.status, 3) << r.out;  // unreachable: the broker never answers it
    EXPECT_TRUE(wait_until([&] { return stat("auth_refused") >= 1; }, 30.0));
}

TEST_F(SecurityTest, AnUnknownKeyGetsNoSessionAndIsCounted) {
    const std::string mallory = keys_.add("mallory", "");
    const auto r = cli_as(mallory, {"submit", "add", "1", "2", "--timeout", "2"});
    EXPECT_EQ(r.status, 3) << r.out;
    EXPECT_TRUE(contains(r.out, "does not know this key")) << r.out;
    EXPECT_TRUE(wait_until([&] { return stat("auth_refused") >= 1; }, 30.0));
    EXPECT_EQ(stat("forbidden"), 0);  // it never got as far as a message
}

TEST_F(SecurityTest, AClientKeyPosingAsAWorkerIsForbiddenAndGetsNoTasks) {
    start_worker("impostor", alice_);
    EXPECT_TRUE(wait_until([&] { return stat("forbidden") >= 1; }, 30.0));
    // It ends, status 2 (a configuration that can never work), instead of saying HELLO forever.
    EXPECT_EQ(cluster_.worker(0).wait(30.0), 2);
    const auto workers = cli_as(ops_, {"inspect", "workers", "--json"});
    ASSERT_EQ(workers.status, 0) << workers.out;
    EXPECT_FALSE(contains(workers.out, "impostor")) << workers.out;
    // A real worker still joins and serves the client.
    start_worker("w1", w1_);
    EXPECT_TRUE(alice_is_served());
}

TEST_F(SecurityTest, OnlyAnAdminKeyMayPurgeOrListTasks) {
    for (const std::string& who : {w1_, alice_}) {
        const auto purge = cli_as(who, {"purge", "default"});
        EXPECT_NE(purge.status, 0) << purge.out;
        EXPECT_TRUE(contains(purge.out, "forbidden") && contains(purge.out, "admin")) << purge.out;
    }
    const auto list = cli_as(alice_, {"inspect", "active"});
    EXPECT_NE(list.status, 0) << list.out;
    EXPECT_TRUE(contains(list.out, "admin")) << list.out;
    EXPECT_GE(stat("forbidden"), 3);
    const auto admin_purge = cli_as(ops_, {"purge", "default"});
    EXPECT_EQ(admin_purge.status, 0) << admin_purge.out;
    EXPECT_EQ(cli_as(ops_, {"inspect", "active"}).status, 0);
    // Counts, workers and limits are anyone's.
    EXPECT_EQ(cli_as(alice_, {"inspect", "workers"}).status, 0);
}

TEST_F(SecurityTest, OnlyAnAdminKeyGetsTheEventStream) {
    // Events name every client's tasks and arguments: a client key is refused and told why.
    const auto refused = cli_as(alice_, {"events", "--duration", "30"});
    EXPECT_EQ(refused.status, 1) << refused.out;
    EXPECT_TRUE(contains(refused.out, "forbidden") && contains(refused.out, "admin"))
        << refused.out;
    // An admin key sees a task of alice's, told as it goes.
    start_worker("w1", w1_);
    ASSERT_TRUE(wait_until([&] { return alice_is_served(); }, 60.0));
    auto tail = shoal::testing::child_process::spawn(
        {cluster_paths::cli(), "events", "--json", "--duration", "20", "--broker",
         cluster_.endpoint(), "--broker-key", keys_.broker_public(), "--key", ops_});
    ASSERT_TRUE(wait_until([&] { return stat("event_subscribers") == 1; }, 30.0));
    EXPECT_TRUE(alice_is_served());
    const std::string seen = tail.read_all(60.0);
    EXPECT_EQ(tail.wait(30.0), 0);
    EXPECT_TRUE(contains(seen, "\"type\":\"task-succeeded\"")) << seen;
}

TEST_F(SecurityTest, ARemovedKeyIsRefusedAfterSighupAndANewKeyWorksAtOnce) {
    start_worker("w1", w1_);
    ASSERT_TRUE(alice_is_served());
    const std::string bob = keys_.add("bob", "");
    EXPECT_EQ(cli_as(bob, {"status", "--timeout", "2"}).status, 3);
    keys_.authorise("bob", "clients");
    keys_.revoke("alice", "clients");
    cluster_.broker().signal(SIGHUP);
    EXPECT_TRUE(wait_until(
        [&] {
            return cli_as(bob, {"status", "--timeout", "5"}).status == 0;
        },
        30.0));
    const auto refused = cli_as(alice_, {"status", "--timeout", "2"});
    EXPECT_EQ(refused.status, 3) << refused.out;
    // The worker's key stayed: it kept serving throughout.
    const auto r = cli_as(bob, {"submit", "add", "20", "22", "--wait", "--wait-timeout", "30"});
    EXPECT_EQ(r.out, "42\n");
}

TEST_F(SecurityTest, ShoalAdminReloadKeysDoesWhatSighupDoesForAnAdminKeyOnly) {
    start_worker("w1", w1_);
    ASSERT_TRUE(alice_is_served());
    const std::string bob = keys_.add("bob", "");
    keys_.authorise("bob", "clients");
    keys_.revoke("alice", "clients");
    // Only an admin key may ask; the keys on disk are not read for a client or a worker.
    for (const std::string& who : {alice_, w1_}) {
        const auto refused = cli_as(who, {"admin", "reload-keys"});
        EXPECT_EQ(refused.status, 1) << refused.out;
        EXPECT_TRUE(contains(refused.out, "forbidden") && contains(refused.out, "admin"))
            << refused.out;
    }
    EXPECT_EQ(cli_as(bob, {"status", "--timeout", "2"}).status, 3);  // not reloaded yet
    // A session of alice's that is open when the keys are reloaded is ended.
    auto alice_session = raw_client("alice");
    const auto reload = cli_as(ops_, {"admin", "reload-keys", "--json"});
    ASSERT_EQ(reload.status, 0) << reload.out;
    const auto doc = nlohmann::json::parse(reload.out, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << reload.out;
    EXPECT_EQ(doc["action"], "reload-keys");
    EXPECT_EQ(doc["result"]["clients"], 1) << reload.out;  // bob
    EXPECT_EQ(doc["result"]["workers"], 1) << reload.out;
    EXPECT_EQ(doc["result"]["admins"], 1) << reload.out;
    EXPECT_GE(doc["result"]["sessions_ended"].get<long>(), 1) << reload.out;
    // In force at once, as after SIGHUP: no wait before bob is served.
    const auto r = cli_as(bob, {"submit", "add", "20", "22", "--wait", "--wait-timeout", "30"});
    EXPECT_EQ(r.out, "42\n");
    EXPECT_EQ(cli_as(alice_, {"status", "--timeout", "2"}).status, 3);
    EXPECT_GE(stat("forbidden"), 2);
}

TEST_F(SecurityTest, AReloadThatCannotReadTheKeysKeepsTheKeysInUseAndSaysWhy) {
    start_worker("w1", w1_);
    ASSERT_TRUE(alice_is_served());
    // A key file that is not a key: the whole directory is refused, never half of it.
    const fs::path broken = fs::path(keys_.keys()) / "clients" / "broken.key";
    { std::ofstream(broken) << "not a key\n"; }
    const auto failed = cli_as(ops_, {"admin", "reload-keys"});
    fs::remove(broken);
    EXPECT_EQ(failed.status, 1) << failed.out;
    EXPECT_TRUE(contains(failed.out, "failed") && contains(failed.out, "keys in use stay"))
        << failed.out;
    EXPECT_TRUE(alice_is_served());
}

TEST(SecurityOpen, AdminReloadKeysOnAnOpenBrokerSaysItHasNoKeys) {
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    const auto r = shoal::testing::run_merged(
        {cluster_paths::cli(), "admin", "reload-keys", "--broker", cluster.endpoint()}, 30.0);
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_TRUE(contains(r.out, "no key")) << r.out;
}

// A client's tasks are its key's: another client key is told `unknown` for them, its REVOKE
// changes nothing and its SUBMIT of the same id is a conflict; an admin key sees them all.
// Raw peers (tests/support/broker_test_peer.hpp) with keys, so the test chooses the id.
TEST_F(SecurityTest, AnotherClientKeysTaskIsUnknownToItAndCannotBeRevokedOrTaken) {
    namespace proto = shoal::proto;
    const std::string bob = add_client("bob");
    const auto as_alice = raw_client("alice");
    const auto as_bob = raw_client("bob");

    // No worker yet: alice's task waits, and bob sees nothing of it.
    const proto::submitted_task t = shoal::broker::testing::task(7, "add", "\x92\x02\x03");
    ASSERT_EQ(as_alice->submit({t}).ids.size(), 1u);
    EXPECT_EQ(as_alice->fetch({t.id}).entries.at(0).state, proto::result_state::pending);
    EXPECT_EQ(as_bob->fetch({t.id}).entries.at(0).state, proto::result_state::unknown);
    const proto::accepted taken = as_bob->submit({t});
    EXPECT_TRUE(taken.ids.empty());
    ASSERT_EQ(taken.refused.size(), 1u);
    EXPECT_EQ(taken.refused[0].error.type, "conflict");
    as_bob->send(proto::revoke{{t.id}, false});

    // The worker runs it (bob's REVOKE did not stop it), and alice alone is told.
    start_worker("w1", w1_);
    const auto results = as_alice->results(1, 60.0);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].status, proto::task_status::ok);
    EXPECT_EQ(results[0].payload, "\x05");
    EXPECT_EQ(as_bob->fetch({t.id}).entries.at(0).state, proto::result_state::unknown);
    EXPECT_EQ(as_alice->fetch({t.id}).entries.at(0).state, proto::result_state::done);
    const auto admin = cli_as(ops_, {"result", t.id.to_hex()});
    EXPECT_EQ(admin.status, 0) << admin.out;
    EXPECT_TRUE(contains(admin.out, "5")) << admin.out;
}

// With Redis the owner is stored with the task and its result (durable_records.hpp): a
// restarted broker still keeps another key out, both of a task it recovered and of a result
// only Redis holds.
struct with_redis {
    shoal::testing::redis_server redis;
};
class SecurityDurableTest : private with_redis, public SecurityTest {
  protected:
    SecurityDurableTest() : SecurityTest({"--redis", redis.url()}) {}
};

TEST_F(SecurityDurableTest, OwnershipOutlivesABrokerRestart) {
    namespace proto = shoal::proto;
    const std::string bob = add_client("bob");
    const proto::submitted_task t = shoal::broker::testing::task(9, "add", "\x92\x14\x16");
    {
        const auto as_alice = raw_client("alice");
        ASSERT_EQ(as_alice->submit({t}).ids.size(), 1u);
    }
    cluster_.kill_broker();
    ASSERT_TRUE(cluster_.restart_broker());  // a recovered pending task
    {
        const auto as_bob = raw_client("bob");
        EXPECT_EQ(as_bob->fetch({t.id}).entries.at(0).state, proto::result_state::unknown);
        const auto as_alice = raw_client("alice");
        EXPECT_EQ(as_alice->fetch({t.id}).entries.at(0).state, proto::result_state::pending);
        start_worker("w1", w1_);
        // Her FETCH of the pending task asked for its result (once Redis has stored it).
        const auto results = as_alice->results(1, 60.0);
        ASSERT_EQ(results.size(), 1u);
        EXPECT_EQ(results[0].payload, "\x2a");
    }
    cluster_.kill_broker();
    ASSERT_TRUE(cluster_.restart_broker());  // a result only Redis holds
    const auto as_bob = raw_client("bob");
    EXPECT_EQ(as_bob->fetch({t.id}).entries.at(0).state, proto::result_state::unknown);
    const auto as_alice = raw_client("alice");
    const proto::fetched mine = as_alice->fetch({t.id});
    ASSERT_EQ(mine.entries.at(0).state, proto::result_state::done);
    ASSERT_TRUE(mine.entries[0].result.has_value());
    EXPECT_EQ(mine.entries[0].result->payload, "\x2a");  // 20 + 22
}

// Fail-closed: no configuration that would let everyone in starts a broker.
TEST(SecurityConfig, ABrokerWithoutAReadableKeyDirectoryOrWithAnOpenSecretRefusesToStart) {
    key_dir keys;
    using shoal::testing::broker_refusal;
    auto r = broker_refusal(
        {"--secret-key", keys.broker_secret(), "--keys-dir", (keys.root() / "missing").string()});
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "missing")) << r.out;
    r = broker_refusal({"--secret-key", keys.broker_secret()});
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "keys_dir")) << r.out;
    ::chmod(keys.broker_secret().c_str(), 0644);
    r = broker_refusal({"--secret-key", keys.broker_secret(), "--keys-dir", keys.keys()});
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "chmod 600")) << r.out;
}

}  // namespace
