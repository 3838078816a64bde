#pragma once
// link_cut: a silent network partition of one network namespace (a host of two_hosts). cut()
// installs `iptables -A INPUT -j DROP` and `-A OUTPUT -j DROP` inside the namespace, both in
// one iptables-restore transaction, so every packet in and out is dropped without a reset or
// an ICMP error: the peers notice only through silence, as with a pulled cable. heal() removes
// the two rules. The destructor heals whatever is still cut (deleting the namespace would
// too). It uses the nf_tables iptables when it works and the legacy one otherwise (both work
// inside `ip netns exec` on Debian 12; scripts/install-deps.sh installs the package).
// link_cut::inbound_only cuts one way: only what arrives at the namespace is dropped (INPUT),
// what it sends still leaves (the peer's TCP acknowledgements of it are dropped too).

#include <cstdlib>
#include <string>
#include <vector>

namespace shoal::testing {

class link_cut {
  public:
    enum class direction { both, inbound_only };
    explicit link_cut(std::string netns, direction which = direction::both)
        : netns_(std::move(netns)), which_(which) {}
    ~link_cut() {
        if (cut_) (void)heal();
    }
    link_cut(const link_cut&) = delete;
    link_cut& operator=(const link_cut&) = delete;

    // Drops everything in and out of the namespace from now on; false (and why()) on failure.
    bool cut() {
        if (cut_) return true;
        if (tool_.empty()) {
            for (const char* candidate :
                 {"/usr/sbin/iptables-restore", "/usr/sbin/iptables-legacy-restore"}) {
                if (apply(candidate, "-A")) {
                    tool_ = candidate;
                    cut_ = true;
                    ++cuts_;
                    return true;
                }
            }
            why_ =
                "neither iptables-restore nor iptables-legacy-restore could add a DROP rule in "
                "namespace " +
                netns_ + " (needs root and the iptables package: scripts/install-deps.sh)";
            return false;
        }
        if (!apply(tool_, "-A")) {
            why_ = tool_ + " could not add the DROP rules in namespace " + netns_;
            return false;
        }
        cut_ = true;
        ++cuts_;
        return true;
    }

    // Lets packets through again.
    bool heal() {
        if (!cut_) return true;
        if (!apply(tool_, "-D")) {
            why_ = tool_ + " could not remove the DROP rules in namespace " + netns_;
            return false;
        }
        cut_ = false;
        return true;
    }

    bool is_cut() const noexcept { return cut_; }
    int cuts() const noexcept { return cuts_; }
    const std::string& why() const noexcept { return why_; }
    // The iptables-restore used (empty before the first cut).
    const std::string& tool() const noexcept { return tool_; }

  private:
    bool apply(const std::string& tool, const std::string& verb) const {
        // -w: wait for the xtables lock (the legacy tool shares one across namespaces).
        std::string rules = "*filter\\n" + verb + " INPUT -j DROP\\n";
        if (which_ == direction::both) rules += verb + " OUTPUT -j DROP\\n";
        rules += "COMMIT\\n";
        const std::string command = "printf '" + rules + "' | /usr/sbin/ip netns exec " + netns_ +
                                    " " + tool + " -w 5 --noflush 2>/dev/null";
        return std::system(command.c_str()) == 0;
    }

    std::string netns_;
    direction which_ = direction::both;
    std::string tool_;
    bool cut_ = false;
    int cuts_ = 0;
    std::string why_;
};

}  // namespace shoal::testing
