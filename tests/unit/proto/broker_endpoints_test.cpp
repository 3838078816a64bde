// The brokers a peer is given: a comma-separated list, and names with several addresses
// standing for each of them (PROTOCOL.md 6.7). The several-address case needs a resolver that
// answers so: tests/fault/broker_dns_test.cpp gives one its own /etc/hosts.

#include "shoal/proto/broker_endpoints.hpp"

#include <gtest/gtest.h>

namespace {

using shoal::proto::resolve_endpoints;
using shoal::proto::split_endpoints;
using list = std::vector<std::string>;

TEST(BrokerEndpoints, AListIsSplitAtCommasAndTrimmed) {
    EXPECT_EQ(split_endpoints("tcp://a:1, tcp://b:2 ,,tcp://c:3"),
              (list{"tcp://a:1", "tcp://b:2", "tcp://c:3"}));
    EXPECT_EQ(split_endpoints("tcp://a:1"), (list{"tcp://a:1"}));
    EXPECT_EQ(split_endpoints(" , "), (list{" , "}));  // nothing usable: kept for the error
}

TEST(BrokerEndpoints, AddressesAndOneAddressNamesAreKeptAsGiven) {
    const list given{"tcp://127.0.0.1:5555", "tcp://localhost:5556", "ipc:///tmp/shoal.sock",
                     "tcp://no-such-host.invalid:1", "tcp://[::1]:7"};
    EXPECT_EQ(resolve_endpoints(given), given);
}

TEST(BrokerEndpoints, RepeatsAreDropped) {
    EXPECT_EQ(resolve_endpoints({"tcp://127.0.0.1:1", "tcp://127.0.0.1:1", "tcp://127.0.0.1:2"}),
              (list{"tcp://127.0.0.1:1", "tcp://127.0.0.1:2"}));
}

}  // namespace
