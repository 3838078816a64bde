// Redis credentials (SECURITY.md, "Redis"): the broker daemon logs in to a real redis-server
// as an ACL user with only the commands and keys it needs, its password read from a file
// (never its command line), and refuses a password file others can read.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "redis/redis_server.hpp"

namespace {

namespace fs = std::filesystem;
using shoal::testing::local_cluster;
using shoal::testing::redis_server;

constexpr const char* password = "pw-only-in-a-file-7f3a";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// SECURITY.md's minimal ACL for the broker's user: its keys, and the commands it sends.
std::vector<std::string> broker_acl(const std::string& user) {
    return {"ACL",      "SETUSER",       user,      "on",      std::string(">") + password,
            "~shoal:*", "resetchannels", "-@all",   "+ping",   "+select",
            "+auth",    "+config|get",   "+eval",   "+exists", "+get",
            "+set",     "+hset",         "+hsetnx", "+hget",   "+hmget",
            "+hgetall", "+hscan",        "+hdel"};
}

class RedisCredentials : public ::testing::Test {
  protected:
    RedisCredentials() {
        std::string pattern = (fs::temp_directory_path() / "shoal-redis-pw-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
    }
    ~RedisCredentials() override {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    std::string password_file(mode_t mode) {
        const std::string path = (dir_ / "redis.password").string();
        std::ofstream(path) << password << '\n';
        ::chmod(path.c_str(), mode);
        return path;
    }
    std::string plain_url() const { return "redis://127.0.0.1:" + std::to_string(redis.port()); }

    redis_server redis;
    fs::path dir_;
};

TEST_F(RedisCredentials, TheBrokerLogsInAsAMinimalAclUserWithThePasswordFromAFile) {
    ASSERT_EQ(redis.command(broker_acl("shoal-broker")), "OK");
    local_cluster cluster({"--redis", plain_url(), "--redis-user", "shoal-broker",
                           "--redis-password-file", password_file(0600)});
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("w1");
    const auto r = cluster.cli({"submit", "add", "2", "3", "--wait", "--wait-timeout", "60"}, 90);
    EXPECT_EQ(r.out, "5\n");
    EXPECT_TRUE(contains(redis.command({"CLIENT", "LIST"}), "user=shoal-broker"));
    // The task and its result went through the ACL: stored under shoal:*, nothing refused.
    EXPECT_EQ(redis.command({"ACL", "LOG"}), "");
    // Nothing on its command line shows the password.
    std::ifstream cmdline("/proc/" + std::to_string(cluster.broker().pid()) + "/cmdline");
    std::ostringstream text;
    text << cmdline.rdbuf();
    const std::string argv = text.str();
    EXPECT_TRUE(contains(argv, "--redis-password-file")) << argv;
    EXPECT_FALSE(contains(argv, password)) << argv;
}

TEST_F(RedisCredentials, APasswordFileOthersCanReadOrAPasswordGivenTwiceStopsTheBroker) {
    ASSERT_EQ(redis.command(broker_acl("shoal-broker")), "OK");
    auto r = shoal::testing::broker_refusal({"--redis", plain_url(), "--redis-user", "shoal-broker",
                                             "--redis-password-file", password_file(0644)});
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "chmod 600")) << r.out;
    r = shoal::testing::broker_refusal(
        {"--redis", "redis://shoal-broker:x@127.0.0.1:" + std::to_string(redis.port()),
         "--redis-password-file", password_file(0600)});
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "more than one way")) << r.out;
    r = shoal::testing::broker_refusal({"--redis", plain_url(), "--redis-user", "shoal-broker"});
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "has no password")) << r.out;
}

}  // namespace
