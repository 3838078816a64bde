#include "shoal/common/service_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace shoal {

service_notify::service_notify(const env_lookup& env) {
    if (const auto path = env("NOTIFY_SOCKET")) {
        const bool usable = (path->size() > 1 && ((*path)[0] == '/' || (*path)[0] == '@')) &&
                            path->size() < sizeof(sockaddr_un{}.sun_path);
        if (usable) socket_path_ = *path;
    }
    const auto usec = env("WATCHDOG_USEC");
    if (!usec) return;
    // WATCHDOG_PID, when set, names the process the watchdog is for (not a child of it).
    if (const auto pid = env("WATCHDOG_PID")) {
        if (std::strtol(pid->c_str(), nullptr, 10) != static_cast<long>(::getpid())) return;
    }
    char* end = nullptr;
    const unsigned long long micros = std::strtoull(usec->c_str(), &end, 10);
    if (end == usec->c_str() || *end != '\0' || micros == 0) return;
    watchdog_interval_ = static_cast<double>(micros) / 2e6;
}

bool service_notify::notify(std::string_view state) const {
    if (socket_path_.empty()) return false;
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
    if (address.sun_path[0] == '@') address.sun_path[0] = '\0';  // the abstract namespace
    const auto length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
    const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                  reinterpret_cast<const sockaddr*>(&address), length);
    ::close(fd);
    return sent == static_cast<ssize_t>(state.size());
}

bool service_notify::ready(std::string_view status) const {
    return notify(status.empty() ? std::string("READY=1")
                                 : "READY=1\nSTATUS=" + std::string(status));
}

bool service_notify::stopping(std::string_view status) const {
    return notify(status.empty() ? std::string("STOPPING=1")
                                 : "STOPPING=1\nSTATUS=" + std::string(status));
}

bool service_notify::status(std::string_view text) const {
    return notify("STATUS=" + std::string(text));
}

}  // namespace shoal
