#include "default_client_name.hpp"

#include <unistd.h>

#include <array>

namespace shoal::detail {

std::string default_client_name() {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
    const std::string name = host[0] != '\0' ? std::string(host.data()) : std::string("localhost");
    return "client-" + std::to_string(::getpid()) + "@" + name;
}

}  // namespace shoal::detail
