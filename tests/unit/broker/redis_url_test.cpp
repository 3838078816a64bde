#include "redis/redis_url.hpp"

#include <gtest/gtest.h>

namespace {

using shoal::broker::parse_redis_url;
using shoal::broker::redis_error;

TEST(RedisUrl, HostAloneTakesTheDefaultPortAndDatabase) {
    const auto e = parse_redis_url("redis://cache.internal");
    EXPECT_EQ(e.host, "cache.internal");
    EXPECT_EQ(e.port, 6379);
    EXPECT_EQ(e.db, 0);
    EXPECT_TRUE(e.password.empty());
    EXPECT_FALSE(e.is_unix());
}

TEST(RedisUrl, PasswordPortAndDatabaseAreRead) {
    const auto e = parse_redis_url("redis://:s3cret@127.0.0.1:6390/4");
    EXPECT_EQ(e.host, "127.0.0.1");
    EXPECT_EQ(e.port, 6390);
    EXPECT_EQ(e.db, 4);
    EXPECT_EQ(e.password, "s3cret");
    EXPECT_TRUE(e.user.empty());
}

TEST(RedisUrl, AnAclUserIsKeptForAuth) {
    const auto e = parse_redis_url("redis://shoal:pw@localhost:7000");
    EXPECT_EQ(e.user, "shoal");
    EXPECT_EQ(e.password, "pw");
    EXPECT_EQ(e.port, 7000);
}

TEST(RedisUrl, APasswordMayContainAnAtSign) {
    const auto e = parse_redis_url("redis://:p@ss@h:1");
    EXPECT_EQ(e.password, "p@ss");
    EXPECT_EQ(e.host, "h");
}

TEST(RedisUrl, Ipv6HostsAreBracketed) {
    const auto e = parse_redis_url("redis://[::1]:6380/2");
    EXPECT_EQ(e.host, "::1");
    EXPECT_EQ(e.port, 6380);
    EXPECT_EQ(e.db, 2);
}

TEST(RedisUrl, UnixSocketsTakeAPathAndOptionalDatabase) {
    const auto e = parse_redis_url("unix:///run/redis/redis.sock?db=3");
    EXPECT_TRUE(e.is_unix());
    EXPECT_EQ(e.unix_path, "/run/redis/redis.sock");
    EXPECT_EQ(e.db, 3);
    const auto with_password = parse_redis_url("unix://:pw@/tmp/r.sock");
    EXPECT_EQ(with_password.password, "pw");
    EXPECT_EQ(with_password.unix_path, "/tmp/r.sock");
}

TEST(RedisUrl, DescribeNeverShowsThePassword) {
    const auto e = parse_redis_url("redis://:hunter2@h:1/0");
    EXPECT_EQ(e.describe().find("hunter2"), std::string::npos);
    EXPECT_NE(e.describe().find("***"), std::string::npos);
}

TEST(RedisUrl, ASentinelUrlListsTheSentinelsTheMasterAndTheDatabase) {
    const auto e = parse_redis_url("redis+sentinel://:pw@s1:26380,s2,10.0.0.3:5000/shoal/2");
    ASSERT_EQ(e.sentinels.size(), 3u);
    EXPECT_TRUE(e.via_sentinel());
    EXPECT_EQ(e.sentinels[0].host, "s1");
    EXPECT_EQ(e.sentinels[0].port, 26380);
    EXPECT_EQ(e.sentinels[1].host, "s2");
    EXPECT_EQ(e.sentinels[1].port, 26379);  // Sentinel's default
    EXPECT_EQ(e.sentinels[2].port, 5000);
    EXPECT_EQ(e.master, "shoal");
    EXPECT_EQ(e.db, 2);
    EXPECT_EQ(e.password, "pw");
    EXPECT_TRUE(e.host.empty());  // asked of the sentinels at each connect
    EXPECT_EQ(e.describe().find("pw"), std::string::npos);
    EXPECT_NE(e.describe().find("redis+sentinel://:***@s1:26380,s2:26379,10.0.0.3:5000/shoal/2"),
              std::string::npos)
        << e.describe();
    EXPECT_FALSE(parse_redis_url("redis://h").via_sentinel());
}

TEST(RedisUrl, BadUrlsSayWhatIsWrong) {
    const auto message_of = [](const char* url) {
        try {
            (void)parse_redis_url(url);
        } catch (const redis_error& e) {
            return std::string(e.what());
        }
        return std::string("<accepted>");
    };
    EXPECT_NE(message_of("http://h").find("must start with redis://"), std::string::npos);
    EXPECT_NE(message_of("redis://h:0").find("port"), std::string::npos);
    EXPECT_NE(message_of("redis://h:70000").find("port"), std::string::npos);
    EXPECT_NE(message_of("redis://h:x").find("port"), std::string::npos);
    EXPECT_NE(message_of("redis://h/x").find("database"), std::string::npos);
    EXPECT_NE(message_of("redis://:6379").find("no host"), std::string::npos);
    EXPECT_NE(message_of("redis://pw@h").find("credentials"), std::string::npos);
    EXPECT_NE(message_of("unix://relative.sock").find("absolute path"), std::string::npos);
    EXPECT_NE(message_of("unix:///s?x=1").find("db=N"), std::string::npos);
    EXPECT_NE(message_of("redis://[::1").find("unclosed"), std::string::npos);
    EXPECT_NE(message_of("redis+sentinel://s1,s2").find("names its master"), std::string::npos);
    EXPECT_NE(message_of("redis+sentinel://s1/").find("names its master"), std::string::npos);
    EXPECT_NE(message_of("redis+sentinel:///shoal").find("no sentinel"), std::string::npos);
    EXPECT_NE(message_of("redis+sentinel://s1:x/shoal").find("sentinel port"), std::string::npos);
}

}  // namespace
