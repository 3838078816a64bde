#pragma once
// service_notify: a daemon tells its supervisor how it is (systemd's Type=notify, the
// sd_notify(3) protocol): READY=1 once it serves, STOPPING=1 when it begins to stop,
// WATCHDOG=1 from its event loop (a wedged loop stops saying it, and systemd restarts the
// daemon), STATUS=... for `systemctl status`. The protocol is one datagram per message to
// the AF_UNIX socket named by $NOTIFY_SOCKET (a leading '@' is the abstract namespace); the
// few lines of it are here so that the libraries need no libsystemd. Without $NOTIFY_SOCKET
// (not under systemd, or not Type=notify) every call does nothing.

#include <optional>
#include <string>
#include <string_view>

#include "shoal/common/layered_settings.hpp"

namespace shoal {

class service_notify {
  public:
    // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID through env.
    explicit service_notify(const env_lookup& env = process_environment());

    bool enabled() const noexcept { return !socket_path_.empty(); }
    // Sends `state` ("READY=1", "STOPPING=1", "WATCHDOG=1", "STATUS=text"; several joined by
    // newlines). False when it is disabled or the datagram could not be sent (logged by the
    // caller if it cares: a supervisor that went away is no reason to stop serving).
    bool notify(std::string_view state) const;
    bool ready(std::string_view status = {}) const;
    bool stopping(std::string_view status = {}) const;
    bool status(std::string_view text) const;
    bool watchdog() const { return notify("WATCHDOG=1"); }
    // How often to send WATCHDOG=1: half of WATCHDOG_USEC (as sd_watchdog_enabled(3)
    // advises), or nullopt when no watchdog is set for this process.
    std::optional<double> watchdog_interval_seconds() const noexcept { return watchdog_interval_; }

  private:
    std::string socket_path_;
    std::optional<double> watchdog_interval_;
};

}  // namespace shoal
