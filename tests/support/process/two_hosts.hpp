#pragma once
// two_hosts: two network namespaces joined by a veth pair, standing in for two machines. Host
// a is 10.R.S.1, host b is 10.R.S.2 (R.S from the test's pid, so parallel tests differ);
// programs run on a host through `ip netns exec`. Everything is removed in the destructor.
// Making namespaces needs root (CAP_SYS_ADMIN); when it fails, available() is false and why()
// says what failed, and the test fails with that reason (the project never skips).

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace shoal::testing {

class two_hosts {
  public:
    two_hosts() {
        const unsigned tag = static_cast<unsigned>(::getpid()) % 60000u;
        suffix_ = std::to_string(tag);
        subnet_ = "10." + std::to_string(100 + tag / 250 % 150) + "." + std::to_string(tag % 250);
        a_ = "shoal-a-" + suffix_;
        b_ = "shoal-b-" + suffix_;
        const std::string va = "sva" + suffix_;
        const std::string vb = "svb" + suffix_;
        const std::vector<std::string> steps{
            "ip netns add " + a_,
            "ip netns add " + b_,
            "ip link add " + va + " type veth peer name " + vb,
            "ip link set " + va + " netns " + a_,
            "ip link set " + vb + " netns " + b_,
            "ip -n " + a_ + " addr add " + address_a() + "/24 dev " + va,
            "ip -n " + b_ + " addr add " + address_b() + "/24 dev " + vb,
            "ip -n " + a_ + " link set " + va + " up",
            "ip -n " + b_ + " link set " + vb + " up",
            "ip -n " + a_ + " link set lo up",
            "ip -n " + b_ + " link set lo up",
        };
        for (const auto& step : steps) {
            if (std::system((step + " 2>/dev/null").c_str()) != 0) {
                why_ = "'" + step + "' failed (network namespaces need root and iproute2)";
                return;
            }
        }
        available_ = true;
    }

    ~two_hosts() {
        // Deleting a namespace deletes its end of the veth pair, and with it the other end.
        for (const auto& ns : {a_, b_}) {
            if (std::system(("ip netns del " + ns + " 2>/dev/null").c_str()) != 0) {
                // Already gone (setup failed half way): nothing left to remove.
            }
        }
    }

    two_hosts(const two_hosts&) = delete;
    two_hosts& operator=(const two_hosts&) = delete;

    bool available() const noexcept { return available_; }
    const std::string& why() const noexcept { return why_; }
    std::string address_a() const { return subnet_ + ".1"; }
    std::string address_b() const { return subnet_ + ".2"; }
    // The namespaces' names, for `ip netns exec` (e.g. a firewall rule on one host).
    const std::string& namespace_a() const noexcept { return a_; }
    const std::string& namespace_b() const noexcept { return b_; }
    // argv prefixes that run a program on host a or b.
    std::vector<std::string> on_a() const { return {"/usr/sbin/ip", "netns", "exec", a_}; }
    std::vector<std::string> on_b() const { return {"/usr/sbin/ip", "netns", "exec", b_}; }

  private:
    std::string suffix_;
    std::string subnet_;
    std::string a_;
    std::string b_;
    bool available_ = false;
    std::string why_;
};

}  // namespace shoal::testing
