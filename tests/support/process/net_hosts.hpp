#pragma once
// net_hosts: N network namespaces standing in for N machines on one LAN. Each host has a veth
// pair whose other end is a port of a Linux bridge in a namespace of its own (the "switch"),
// so every host reaches every other; host i is 10.R.S.(i+1) (R.S from the test's pid, so
// parallel tests differ, as in two_hosts.hpp). The test process itself is one more machine on
// that switch, 10.R.S.254 (address_here()): it talks to the servers it started (Redis, the
// sentinels) directly, and runs everything else on a host through on(i) (`ip netns exec`).
// Everything is removed in the destructor (the test's own veth end and its route, every
// namespace; deleting the switch's deletes the bridge and the veth pairs). Making namespaces
// needs root (CAP_SYS_ADMIN); when it fails, available() is false and why() says what failed,
// and the test fails with that reason (the project never skips).

#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace shoal::testing {

class net_hosts {
  public:
    // names: one per host, for its namespace's name (shoal-NAME-TAG) and the test's messages.
    explicit net_hosts(std::vector<std::string> names) : names_(std::move(names)) {
        if (names_.empty() || names_.size() > 200) {
            why_ = "net_hosts: between 1 and 200 hosts";
            return;
        }
        const unsigned tag = static_cast<unsigned>(::getpid()) % 60000u;
        suffix_ = std::to_string(tag);
        // 10.(50..99).x: apart from two_hosts.hpp's 10.(100..249).x, since this one routes
        // its subnet in the test's own namespace.
        subnet_ = "10." + std::to_string(50 + tag / 250 % 50) + "." + std::to_string(tag % 250);
        switch_ = "shoal-sw-" + suffix_;
        for (const auto& name : names_) namespaces_.push_back("shoal-" + name + "-" + suffix_);

        std::vector<std::string> steps{
            "ip netns add " + switch_,
            "ip -n " + switch_ + " link add br0 type bridge",
            "ip -n " + switch_ + " link set br0 up",
        };
        for (std::size_t i = 0; i < names_.size(); ++i) {
            // Interface names are at most 15 characters: hv12345-7 on the host, hp12345-7 on
            // the switch.
            const std::string host_end = "hv" + suffix_ + "-" + std::to_string(i);
            const std::string switch_end = "hp" + suffix_ + "-" + std::to_string(i);
            const std::string& ns = namespaces_[i];
            steps.insert(steps.end(),
                         {
                             "ip netns add " + ns,
                             "ip link add " + host_end + " type veth peer name " + switch_end,
                             "ip link set " + host_end + " netns " + ns,
                             "ip link set " + switch_end + " netns " + switch_,
                             "ip -n " + switch_ + " link set " + switch_end + " master br0",
                             "ip -n " + switch_ + " link set " + switch_end + " up",
                             "ip -n " + ns + " addr add " + address(i) + "/24 dev " + host_end,
                             "ip -n " + ns + " link set " + host_end + " up",
                             "ip -n " + ns + " link set lo up",
                         });
        }
        // The test's own port on the switch: its end stays here, in the test's namespace.
        const std::string here = "hv" + suffix_ + "-t";
        const std::string there = "hp" + suffix_ + "-t";
        steps.insert(steps.end(), {
                                      "ip link add " + here + " type veth peer name " + there,
                                      "ip link set " + there + " netns " + switch_,
                                      "ip -n " + switch_ + " link set " + there + " master br0",
                                      "ip -n " + switch_ + " link set " + there + " up",
                                      "ip addr add " + address_here() + "/24 dev " + here,
                                      "ip link set " + here + " up",
                                  });
        for (const auto& step : steps) {
            if (std::system((step + " 2>/dev/null").c_str()) != 0) {
                why_ = "'" + step + "' failed (network namespaces need root and iproute2)";
                remove_all();
                return;
            }
        }
        available_ = true;
    }

    ~net_hosts() { remove_all(); }

    net_hosts(const net_hosts&) = delete;
    net_hosts& operator=(const net_hosts&) = delete;

    bool available() const noexcept { return available_; }
    const std::string& why() const noexcept { return why_; }
    std::size_t size() const noexcept { return names_.size(); }
    const std::string& name(std::size_t i) const { return names_.at(i); }
    // Host i's address on the switch, 10.R.S.(i+1).
    std::string address(std::size_t i) const {
        if (i >= names_.size()) throw std::out_of_range("net_hosts: no host " + std::to_string(i));
        return subnet_ + "." + std::to_string(i + 1);
    }
    // The test process's own address on the switch.
    std::string address_here() const { return subnet_ + ".254"; }
    // Host i's namespace, for `ip netns exec` (e.g. link_cut.hpp on one host).
    const std::string& namespace_of(std::size_t i) const { return namespaces_.at(i); }
    // The argv prefix that runs a program on host i (ip netns exec execs it: same pid).
    std::vector<std::string> on(std::size_t i) const {
        return {"/usr/sbin/ip", "netns", "exec", namespaces_.at(i)};
    }

  private:
    void remove_all() {
        // The test's own end first (synchronously, with its route): the switch's namespace
        // would take it along, but the kernel tears a namespace down in the background.
        // Then the hosts and the switch. A namespace lives on while a process runs in it: the
        // test stops its programs first.
        std::vector<std::string> commands;
        if (!suffix_.empty()) commands.push_back("ip link del hv" + suffix_ + "-t");
        for (const auto& ns : namespaces_) commands.push_back("ip netns del " + ns);
        if (!switch_.empty()) commands.push_back("ip netns del " + switch_);
        for (const auto& command : commands) {
            if (std::system((command + " 2>/dev/null").c_str()) != 0) {
                // Never made (setup failed before it) or already gone: nothing to remove.
            }
        }
    }

    std::vector<std::string> names_;
    std::vector<std::string> namespaces_;
    std::string suffix_;
    std::string subnet_;
    std::string switch_;
    bool available_ = false;
    std::string why_;
};

}  // namespace shoal::testing
