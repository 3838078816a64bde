// Two machines, made of network namespaces: the broker on host a, a worker and the CLI on
// host b, talking over a veth link (not loopback). Skipped, alone, where namespaces cannot be
// made (not root, no iproute2).
#include "process/two_hosts.hpp"

#include <string>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"

namespace {

using shoal::testing::child_process;
using shoal::testing::cluster_paths;
using shoal::testing::two_hosts;

TEST(TwoHosts, AWorkerOnAnotherHostRunsTasksSubmittedFromThere) {
    two_hosts hosts;
    // Making the namespaces is part of what is tested: a run that cannot (not root, no
    // iproute2) fails and says why, rather than passing without having run anything.
    ASSERT_TRUE(hosts.available())
        << "cannot make the two network namespaces (this test needs root): " << hosts.why();
    const std::string bind = "tcp://" + hosts.address_a() + ":0";
    shoal::testing::local_cluster cluster({}, hosts.on_a(), bind);
    ASSERT_EQ(cluster.endpoint().rfind("tcp://" + hosts.address_a() + ":", 0), 0u)
        << cluster.endpoint();
    cluster.add_worker("far-worker", {}, hosts.on_b());

    auto cli_on_b = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = hosts.on_b();
        argv.push_back(cluster_paths::cli());
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--broker", cluster.endpoint()});
        auto p = child_process::spawn(argv);
        auto out = p.read_all(30.0);
        return std::make_pair(out, p.wait(30.0));
    };
    for (int i = 0; i < 5; ++i) {
        const auto [out, status] = cli_on_b({"submit", "add", std::to_string(i), "100", "--wait"});
        EXPECT_EQ(status, 0) << out;
        EXPECT_EQ(out, std::to_string(100 + i) + "\n");
    }
    const auto [workers, status] = cli_on_b({"inspect", "workers", "--json"});
    EXPECT_EQ(status, 0);
    EXPECT_NE(workers.find("far-worker"), std::string::npos) << workers;
    // Host a cannot be reached from the root namespace's loopback: the traffic really
    // crossed the link.
    EXPECT_EQ(cluster.endpoint().find("127.0.0.1"), std::string::npos);
}

}  // namespace
