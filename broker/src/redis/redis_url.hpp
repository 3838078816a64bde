#pragma once
// Where the broker's Redis is, from the URL given to --redis:
//
//     redis://[:password@]host[:port][/db]     TCP (port 6379 and db 0 by default)
//     unix:///path/to/redis.sock[?db=N]        a Unix socket (password: unix://:pw@/path)
//     redis+sentinel://[:password@]s1[:port],s2[:port],.../MASTER[/db]
//                                              the primary of MASTER, as Redis Sentinel says
//                                              (sentinels on port 26379 by default; the
//                                              password is Redis's, the sentinels need none)
//
// The password may also be given with a user name before it (redis://user:pw@host), as
// Redis 6's ACLs allow; the user name is then sent with AUTH.

#include <string>
#include <string_view>
#include <vector>

#include "shoal/common/errors.hpp"

namespace shoal::broker {

// Redis could not be reached, refused us, or answered something we cannot use.
class redis_error : public shoal::error {
  public:
    using shoal::error::error;
};

struct sentinel_address {
    std::string host;
    int port = 26379;
};

struct redis_endpoint {
    std::string host;  // TCP: host name or address
    int port = 6379;
    std::string unix_path;  // Unix socket: its path (host is then empty)
    std::string user;       // empty: AUTH with the password alone
    std::string password;   // empty: no AUTH
    int db = 0;
    // redis+sentinel://: where to ask for the primary of `master` (host and port are then
    // filled in by redis_sentinel.hpp's resolve_primary, at every connect).
    std::vector<sentinel_address> sentinels;
    std::string master;

    bool is_unix() const noexcept { return !unix_path.empty(); }
    bool via_sentinel() const noexcept { return !sentinels.empty(); }
    // For logs and errors: the URL without its password.
    std::string describe() const;
};

// Throws redis_error naming what is wrong with the URL.
redis_endpoint parse_redis_url(std::string_view url);

}  // namespace shoal::broker
