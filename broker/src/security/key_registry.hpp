#pragma once
// key_registry: which CURVE public keys may connect to the broker, and as what. Loaded from a
// keys directory with one folder per role, each holding public key files (NAME.key, as
// `shoal keygen` writes them); the file's name is the key's name:
//
//     keys/clients/alice.key  keys/workers/gpu-1.key  keys/admins/ops.key
//
// Loading is fail-closed: a missing or unreadable directory, a file that is not a key, or one
// key under two roles is an error, never a registry that lets everyone in.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace shoal::broker {

enum class key_role { client, worker, admin };

const char* to_string(key_role role) noexcept;

// The authenticated identity of a connection: ZAP's User-Id is "role:name".
struct principal {
    key_role role = key_role::client;
    std::string name;

    std::string user_id() const { return std::string(to_string(role)) + ":" + name; }
    // Parses a User-Id; false if it is not one of ours.
    static bool parse(std::string_view user_id, principal& out);
};

class key_registry {
  public:
    // Throws config_error with the path and what is wrong.
    static key_registry load(const std::string& keys_dir);

    // The principal of a public key given as 32 raw bytes (what ZAP hands over), or null.
    const principal* find_raw(std::string_view public_key_bytes) const;
    std::size_t size() const noexcept { return by_key_.size(); }
    std::size_t count(key_role role) const noexcept;
    template <class F>
    void for_each(F&& f) const {
        for (const auto& [key, who] : by_key_) f(who);
    }

  private:
    std::unordered_map<std::string, principal> by_key_;  // raw 32 bytes -> who
};

}  // namespace shoal::broker
