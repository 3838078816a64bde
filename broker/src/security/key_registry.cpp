#include "key_registry.hpp"

#include <zmq.h>

#include <array>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "shoal/broker/broker_config.hpp"
#include "shoal/proto/curve_keys.hpp"

namespace shoal::broker {

namespace {

struct role_folder {
    key_role role;
    const char* folder;
};
constexpr std::array<role_folder, 3> role_folders{
    {{key_role::client, "clients"}, {key_role::worker, "workers"}, {key_role::admin, "admins"}}};

std::string raw_of(const std::string& z85) {
    std::array<std::uint8_t, 32> raw{};
    zmq_z85_decode(raw.data(), z85.c_str());  // checked by read_public_key_file
    return std::string(reinterpret_cast<const char*>(raw.data()), raw.size());
}

}  // namespace

const char* to_string(key_role role) noexcept {
    switch (role) {
        case key_role::client:
            return "client";
        case key_role::worker:
            return "worker";
        case key_role::admin:
            return "admin";
    }
    return "?";
}

bool principal::parse(std::string_view user_id, principal& out) {
    const auto colon = user_id.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view role = user_id.substr(0, colon);
    for (const auto& rf : role_folders) {
        if (role == to_string(rf.role)) {
            out.role = rf.role;
            out.name = std::string(user_id.substr(colon + 1));
            return true;
        }
    }
    return false;
}

key_registry key_registry::load(const std::string& keys_dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(keys_dir, ec)) {
        throw config_error(fmt::format("keys_dir {}: not a readable directory{}", keys_dir,
                                       ec ? ": " + ec.message() : std::string()));
    }
    key_registry registry;
    std::size_t folders = 0;
    for (const auto& [role, folder] : role_folders) {
        const fs::path dir = fs::path(keys_dir) / folder;
        if (!fs::exists(dir, ec)) continue;  // no keys of this role
        ++folders;
        fs::directory_iterator it(dir, ec);
        if (ec)
            throw config_error(
                fmt::format("keys_dir {}: cannot list: {}", dir.string(), ec.message()));
        for (const auto& entry : it) {
            if (entry.path().extension() != ".key") continue;  // secrets and notes are not keys
            std::string z85;
            try {
                z85 = proto::read_public_key_file(entry.path().string());
            } catch (const proto::key_file_error& e) {
                throw config_error(fmt::format("keys_dir: {}", e.what()));
            }
            principal who{role, entry.path().stem().string()};
            const auto [at, fresh] = registry.by_key_.emplace(raw_of(z85), who);
            if (!fresh) {
                throw config_error(
                    fmt::format("keys_dir: {} is the same key as {} (one key, one role)",
                                entry.path().string(), at->second.user_id()));
            }
        }
    }
    if (folders == 0) {
        throw config_error(
            fmt::format("keys_dir {}: holds none of clients/, workers/, admins/", keys_dir));
    }
    return registry;
}

const principal* key_registry::find_raw(std::string_view public_key_bytes) const {
    const auto it = by_key_.find(std::string(public_key_bytes));
    return it == by_key_.end() ? nullptr : &it->second;
}

std::size_t key_registry::count(key_role role) const noexcept {
    std::size_t n = 0;
    for (const auto& [key, who] : by_key_) n += who.role == role ? 1 : 0;
    return n;
}

}  // namespace shoal::broker
