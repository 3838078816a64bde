#pragma once
// key_dir: CURVE keys for a test cluster (SECURITY.md), made by the real `shoal keygen` in a
// fresh temporary directory that the destructor removes: the broker's pair, and each peer's
// pair in own/, its public half authorised in keys/<role folder>/ (the broker's keys_dir).
// A key_dir also gives what a raw test socket needs to connect with a key (curve_setup).

#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <string>
#include <system_error>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "process/child_process.hpp"
#include "process/local_cluster.hpp"
#include "shoal/proto/curve_keys.hpp"

namespace shoal::testing {

// A fresh directory of keys: the broker's pair, and one pair per peer in its role's folder.
class key_dir {
  public:
    key_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "shoal-keys-XXXXXX").string();
        root_ = ::mkdtemp(pattern.data());
        for (const char* role : {"clients", "workers", "admins"})
            std::filesystem::create_directories(root_ / "keys" / role);
        std::filesystem::create_directories(root_ / "own");
        keygen("broker", root_);
    }
    ~key_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(root_, ignored);
    }
    key_dir(const key_dir&) = delete;
    key_dir& operator=(const key_dir&) = delete;

    // Makes NAME's pair in own/ and, for a role folder, authorises its public half.
    std::string add(const std::string& name, const std::string& role_folder) {
        keygen(name, root_ / "own");
        if (!role_folder.empty()) authorise(name, role_folder);
        return secret(name);
    }
    void authorise(const std::string& name, const std::string& role_folder) const {
        std::filesystem::copy_file(root_ / "own" / (name + ".key"),
                                   root_ / "keys" / role_folder / (name + ".key"));
    }
    void revoke(const std::string& name, const std::string& role_folder) const {
        std::filesystem::remove(root_ / "keys" / role_folder / (name + ".key"));
    }
    std::string secret(const std::string& name) const {
        return (root_ / "own" / (name + ".key_secret")).string();
    }
    std::string broker_public() const { return (root_ / "broker.key").string(); }
    std::string broker_secret() const { return (root_ / "broker.key_secret").string(); }
    std::string keys() const { return (root_ / "keys").string(); }
    const std::filesystem::path& root() const { return root_; }

    // For a raw socket (raw_peer, test_peer): sets the broker's key and NAME's pair on it
    // before it connects.
    std::function<void(zmq::socket_t&)> curve_setup(const std::string& name) const {
        const auto keys = proto::load_client_keys(broker_public(), secret(name));
        return [keys](zmq::socket_t& s) { proto::apply_curve_client(s, *keys); };
    }

  private:
    static void keygen(const std::string& name, const std::filesystem::path& dir) {
        auto p =
            child_process::spawn({cluster_paths::cli(), "keygen", name, "--dir", dir.string()});
        const std::string out = p.read_all(20.0);
        ASSERT_EQ(p.wait(20.0), 0) << out;
    }

    std::filesystem::path root_;
};

}  // namespace shoal::testing
