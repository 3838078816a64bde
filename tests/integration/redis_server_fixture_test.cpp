// The redis_server fixture itself: a real redis-server comes up, keeps what it acknowledged
// across SIGKILL and restart, stops answering while paused, asks for its password, and leaves
// nothing behind.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "redis/redis_server.hpp"

namespace {

using shoal::testing::redis_server;
using shoal::testing::redis_server_options;

// A field of INFO's reply ("run_id", "process_id", ...), or "" when it has none.
std::string info_field(redis_server& redis, const std::string& section, const std::string& key) {
    const std::string info = redis.command({"INFO", section});
    const auto at = info.find("\n" + key + ":");
    if (at == std::string::npos) return {};
    const auto from = at + key.size() + 2;
    const auto end = info.find_first_of("\r\n", from);
    return info.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

TEST(RedisServerFixture, StartsOnLoopbackAndAnswers) {
    redis_server redis;
    ASSERT_TRUE(redis.running());
    EXPECT_GT(redis.port(), 0);
    EXPECT_EQ(redis.url(), "redis://127.0.0.1:" + std::to_string(redis.port()));
    EXPECT_TRUE(std::filesystem::is_directory(redis.dir()));
    EXPECT_EQ(redis.dir().rfind("/tmp/", 0), 0u) << redis.dir();

    EXPECT_EQ(redis.command({"PING"}), "PONG");
    EXPECT_EQ(redis.command({"SET", "k", "v"}), "OK");
    EXPECT_EQ(redis.command({"GET", "k"}), "v");
    EXPECT_EQ(redis.command({"GET", "missing"}), "(nil)");
    EXPECT_EQ(redis.command({"INCR", "n"}), "1");
    EXPECT_EQ(redis.command({"INCRBY", "n", "41"}), "42");
    EXPECT_EQ(redis.command({"RPUSH", "l", "a", "", "c d"}), "3");
    EXPECT_EQ(redis.command_list({"LRANGE", "l", "0", "-1"}),
              (std::vector<std::string>{"a", "", "c d"}));
    EXPECT_EQ(redis.command({"LRANGE", "l", "0", "-1"}), "a\n\nc d");
    EXPECT_TRUE(redis.command_list({"LRANGE", "nothing", "0", "-1"}).empty());
    EXPECT_EQ(redis.command({"LPUSH", "k", "x"}).rfind("ERR:WRONGTYPE", 0), 0u);
    EXPECT_THROW(redis.command_list({"GET", "k"}), std::runtime_error);

    // The options the fixture promises, as redis itself reports them.
    EXPECT_EQ(redis.command_list({"CONFIG", "GET", "bind"}),
              (std::vector<std::string>{"bind", "127.0.0.1"}));
    EXPECT_EQ(redis.command_list({"CONFIG", "GET", "appendonly"}),
              (std::vector<std::string>{"appendonly", "yes"}));
    EXPECT_EQ(redis.command_list({"CONFIG", "GET", "appendfsync"}),
              (std::vector<std::string>{"appendfsync", "everysec"}));
    EXPECT_EQ(redis.command_list({"CONFIG", "GET", "save"}),
              (std::vector<std::string>{"save", ""}));
    EXPECT_EQ(redis.command_list({"CONFIG", "GET", "dir"}),
              (std::vector<std::string>{"dir", redis.dir()}));
}

TEST(RedisServerFixture, TwoServersGetTwoPortsAndTwoDirectories) {
    redis_server a;
    redis_server b;
    EXPECT_NE(a.port(), b.port());
    EXPECT_NE(a.dir(), b.dir());
    EXPECT_EQ(a.command({"SET", "k", "a"}), "OK");
    EXPECT_EQ(b.command({"GET", "k"}), "(nil)");
}

TEST(RedisServerFixture, AnAcknowledgedWriteSurvivesKill9AndRestartOnTheSameDirectory) {
    redis_server_options options;
    options.appendfsync = "always";
    redis_server redis(options);
    const int port = redis.port();
    const std::string dir = redis.dir();
    const std::string run_id = info_field(redis, "server", "run_id");
    ASSERT_FALSE(run_id.empty());

    EXPECT_EQ(redis.command({"SET", "durable", "yes"}), "OK");
    EXPECT_EQ(redis.command({"RPUSH", "queue", "t1", "t2"}), "2");
    redis.kill9();
    EXPECT_FALSE(redis.running());
    EXPECT_THROW(redis.command({"PING"}, 1.0), std::runtime_error);

    redis.restart();
    ASSERT_TRUE(redis.running());
    EXPECT_EQ(redis.port(), port);
    EXPECT_EQ(redis.dir(), dir);
    EXPECT_NE(info_field(redis, "server", "run_id"), run_id) << "the same redis is still running";
    EXPECT_EQ(redis.command({"GET", "durable"}), "yes");
    EXPECT_EQ(redis.command_list({"LRANGE", "queue", "0", "-1"}),
              (std::vector<std::string>{"t1", "t2"}));
    EXPECT_EQ(redis.command_list({"CONFIG", "GET", "appendfsync"}),
              (std::vector<std::string>{"appendfsync", "always"}));
}

TEST(RedisServerFixture, WithoutPersistenceKill9LosesEverything) {
    // The control for the test above: what survives there survives because of the AOF.
    redis_server_options options;
    options.appendonly = false;
    redis_server redis(options);
    EXPECT_EQ(redis.command({"SET", "volatile", "yes"}), "OK");
    redis.kill9();
    redis.restart();
    EXPECT_EQ(redis.command({"GET", "volatile"}), "(nil)");
}

TEST(RedisServerFixture, AGracefulStopKeepsTheDataAndRestartBringsItBack) {
    redis_server redis;  // everysec: the shutdown itself flushes the AOF
    EXPECT_EQ(redis.command({"SET", "k", "v"}), "OK");
    redis.stop();
    EXPECT_FALSE(redis.running());
    redis.stop();  // twice is harmless
    redis.restart();
    EXPECT_EQ(redis.command({"GET", "k"}), "v");
    // restart() on a running server stops it first.
    const std::string run_id = info_field(redis, "server", "run_id");
    redis.restart();
    EXPECT_NE(info_field(redis, "server", "run_id"), run_id);
    EXPECT_EQ(redis.command({"GET", "k"}), "v");
}

TEST(RedisServerFixture, APausedServerAnswersNothingUntilResumed) {
    redis_server redis;
    ASSERT_EQ(redis.command({"PING"}), "PONG");
    redis.pause();
    EXPECT_TRUE(redis.running());
    EXPECT_THROW(redis.command({"PING"}, 0.3), std::runtime_error);
    redis.resume();
    EXPECT_EQ(redis.command({"PING"}), "PONG");
    EXPECT_EQ(redis.command({"SET", "k", "w"}), "OK");
    EXPECT_EQ(redis.command({"GET", "k"}), "w");
}

TEST(RedisServerFixture, AStopWhilePausedStillEnds) {
    redis_server redis;
    redis.pause();
    redis.stop();
    EXPECT_FALSE(redis.running());
}

TEST(RedisServerFixture, APasswordIsRequiredOfOthersAndGivenByCommand) {
    redis_server_options options;
    options.password = "s3cret";
    redis_server redis(options);
    EXPECT_EQ(redis.url(), "redis://:s3cret@127.0.0.1:" + std::to_string(redis.port()));
    EXPECT_EQ(redis.command({"PING"}), "PONG");
    EXPECT_EQ(redis.command({"SET", "k", "v"}), "OK");

    // A raw client without AUTH is refused.
    const timeval tv{5, 0};
    std::unique_ptr<redisContext, void (*)(redisContext*)> c(
        redisConnectWithTimeout("127.0.0.1", redis.port(), tv), redisFree);
    ASSERT_TRUE(c != nullptr);
    ASSERT_EQ(c->err, 0) << c->errstr;
    ASSERT_EQ(redisSetTimeout(c.get(), tv), REDIS_OK);
    const auto ask = [&](const char* cmd) {
        return std::unique_ptr<redisReply, void (*)(void*)>(
            static_cast<redisReply*>(redisCommand(c.get(), cmd)), freeReplyObject);
    };
    const auto refused = ask("GET k");
    ASSERT_TRUE(refused != nullptr) << c->errstr;
    ASSERT_EQ(refused->type, REDIS_REPLY_ERROR);
    EXPECT_EQ(std::string(refused->str, refused->len).rfind("NOAUTH", 0), 0u) << refused->str;
    // And a wrong password does not help.
    const auto wrong = ask("AUTH nope");
    ASSERT_TRUE(wrong != nullptr) << c->errstr;
    EXPECT_EQ(wrong->type, REDIS_REPLY_ERROR);
    // The right one does.
    const auto right = ask("AUTH s3cret");
    ASSERT_TRUE(right != nullptr) << c->errstr;
    EXPECT_EQ(right->type, REDIS_REPLY_STATUS);
    const auto value = ask("GET k");
    ASSERT_TRUE(value != nullptr) << c->errstr;
    ASSERT_EQ(value->type, REDIS_REPLY_STRING);
    EXPECT_EQ(std::string(value->str, value->len), "v");

    // The password stays across a restart.
    redis.kill9();
    redis.restart();
    EXPECT_EQ(redis.command({"GET", "k"}), "v");
}

TEST(RedisServerFixture, TheMaxmemoryPolicyIsPassedOn) {
    redis_server_options options;
    options.maxmemory_policy = "allkeys-lru";
    redis_server redis(options);
    EXPECT_EQ(redis.command_list({"CONFIG", "GET", "maxmemory-policy"}),
              (std::vector<std::string>{"maxmemory-policy", "allkeys-lru"}));
}

TEST(RedisServerFixture, TheDestructorStopsRedisAndRemovesItsDirectory) {
    std::string dir;
    pid_t pid = -1;
    {
        redis_server redis;
        dir = redis.dir();
        pid = static_cast<pid_t>(std::stol(info_field(redis, "server", "process_id")));
        EXPECT_EQ(redis.command({"SET", "k", "v"}), "OK");
        EXPECT_TRUE(std::filesystem::exists(dir + "/redis.log"));
        ASSERT_EQ(::kill(pid, 0), 0) << "process_id " << pid << " is not redis";
    }
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
    EXPECT_EQ(::kill(pid, 0), -1) << "redis (pid " << pid << ") is still there";
    EXPECT_EQ(errno, ESRCH);
}

TEST(RedisServerFixture, TheDestructorOfAPausedOrKilledServerAlsoCleansUp) {
    std::string paused_dir;
    std::string killed_dir;
    {
        redis_server paused;
        redis_server killed;
        paused_dir = paused.dir();
        killed_dir = killed.dir();
        paused.pause();
        killed.kill9();
    }
    EXPECT_FALSE(std::filesystem::exists(paused_dir)) << paused_dir;
    EXPECT_FALSE(std::filesystem::exists(killed_dir)) << killed_dir;
}

TEST(RedisServerFixture, ARestartOnAPortSomeoneTookThrowsAndWorksOnceItIsFree) {
    redis_server redis;
    EXPECT_EQ(redis.command({"SET", "k", "v"}), "OK");
    redis.kill9();
    // Someone else listens on redis's port meanwhile.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(redis.port()));
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 1), 0);
    try {
        redis.restart();
        ADD_FAILURE() << "redis restarted on a port someone else listens on";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("Address already in use"), std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(redis.running());
    ::close(fd);
    redis.restart();
    EXPECT_EQ(redis.command({"GET", "k"}), "v");
}

TEST(RedisServerFixture, ARedisThatCannotStartThrowsWithWhatRedisSaid) {
    redis_server_options options;
    options.appendfsync = "sometimes";
    try {
        redis_server redis(options);
        FAIL() << "redis started with appendfsync 'sometimes'";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("exited with status"), std::string::npos) << what;
        EXPECT_NE(what.find("sometimes"), std::string::npos) << what;
        // The directory named in the message is gone.
        const auto in = what.find(" in /tmp/");
        ASSERT_NE(in, std::string::npos) << what;
        const std::string dir = what.substr(in + 4, what.find(' ', in + 4) - (in + 4));
        EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
    }
}

}  // namespace
