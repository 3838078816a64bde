// shoal-broker: the broker daemon. Reads its settings (command line > environment > TOML
// file > defaults, see broker/README.md), binds, serves until SIGINT or SIGTERM, exits 0.
// With ha_lease_ms it stands by until it holds the lease; a broker that loses its lease
// closes and starts again in place (the same command line, exec'd), standing by.
// Exit 2: a bad setting, or the endpoint cannot be bound. --version, --print-config and
// --check-config answer and exit (0, or 2 for a bad setting).

#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "shoal/broker/broker.hpp"
#include "shoal/broker/config_loader.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/log_format.hpp"
#include "shoal/common/service_notify.hpp"
#include "shoal/common/version.hpp"

namespace {

constexpr int exit_bad_config = 2;

// SIGINT and SIGTERM arrive through a signalfd the loop watches: the handler is then plain
// loop code, free of async-signal-safety limits. Blocked before any thread starts.
// A broker holds one descriptor per connected peer: the soft limit (often 1024) is raised to
// the hard one, as Redis does, and what it is now is logged, so that running out of them is a
// visible setting and not a surprise. Running out does not stop the broker: a connection
// refused for want of a descriptor is retried by the peer, and the descriptors the broker
// already holds (its socket, its Redis link) stay open.
void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    spdlog::info("shoal-broker: up to {} open descriptors (peers, Redis, logs)",
                 static_cast<unsigned long long>(limit.rlim_cur));
}

int open_signal_fd() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);  // reload the keys
    if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

}  // namespace

int main(int argc, char** argv) {
    // Logs go to stderr: stdout's first line is the endpoint (--print-endpoint).
    spdlog::set_default_logger(spdlog::stderr_color_mt("shoal-broker"));

    shoal::broker::daemon_options options;
    try {
        options =
            shoal::broker::load_daemon_options(argc, argv, shoal::broker::process_environment());
    } catch (const shoal::broker::config_error& e) {
        std::fprintf(stderr, "shoal-broker: bad configuration: %s\n", e.what());
        return exit_bad_config;
    }
    if (options.help) {
        std::fputs(options.help->c_str(), stdout);
        return 0;
    }
    if (options.version) {
        std::printf("shoal-broker %.*s\n", static_cast<int>(shoal::version.size()),
                    shoal::version.data());
        return 0;
    }
    if (options.print_config) {
        std::fputs(options.effective.c_str(), stdout);
        return 0;
    }
    if (options.check_config) {
        // Every source was read and every value checked; files (keys) are opened at start,
        // but settings that only work together are checked here too.
        if (const std::string why = shoal::broker::settings_together_problem(options.config);
            !why.empty()) {
            std::fprintf(stderr, "shoal-broker: bad configuration: %s\n", why.c_str());
            return exit_bad_config;
        }
        std::string said = "shoal-broker: configuration is good";
        if (!options.config_file.empty()) said += " (config file " + options.config_file + ")";
        std::puts(said.c_str());
        return 0;
    }
    spdlog::set_level(spdlog::level::from_str(options.config.log_level));
    shoal::use_log_format(
        shoal::log_format_from(options.config.log_format).value_or(shoal::log_format::text));
    if (!options.config_file.empty()) {
        spdlog::info("shoal-broker: read config file {}", options.config_file);
    }

    raise_descriptor_limit();
    const int signal_fd = open_signal_fd();
    if (signal_fd < 0) {
        spdlog::critical("shoal-broker: cannot watch SIGINT/SIGTERM/SIGHUP");
        return 1;
    }
    // Started over after giving the lease up (below): the other brokers try first.
    constexpr const char* gave_lease_up = "SHOAL_HA_GAVE_LEASE_UP";
    if (std::getenv(gave_lease_up) != nullptr) {
        options.config.ha_first_try_after_ms = 2 * options.config.ha_lease_ms;
        ::unsetenv(gave_lease_up);
    }
    int exit_code = 0;
    bool stand_by_again = false;
    {
        shoal::event_loop loop;
        shoal::broker::broker broker(loop, options.config);
        std::string endpoint;
        try {
            endpoint = broker.bind();
        } catch (const shoal::broker::broker_error& e) {
            std::fprintf(stderr, "shoal-broker: %s\n", e.what());
            ::close(signal_fd);
            return exit_bad_config;
        }
        if (options.print_endpoint) {
            // The endpoint first; then, with --http, the HTTP listener's address as bound.
            std::printf("%s\n", endpoint.c_str());
            if (!broker.http_endpoint().empty())
                std::printf("http://%s\n", broker.http_endpoint().c_str());
            std::fflush(stdout);
        }
        // Under systemd (Type=notify): ready now that the socket is bound and, with Redis,
        // what it held is recovered (bind() does both); WATCHDOG=1 from the loop itself.
        const shoal::service_notify notify;
        notify.ready("serving on " + endpoint);
        std::function<void()> watchdog;
        shoal::timer_handle watchdog_timer;
        if (const auto interval = notify.watchdog_interval_seconds()) {
            watchdog = [&, every = *interval] {
                notify.watchdog();
                watchdog_timer = loop.call_later(every, watchdog);
            };
            watchdog();
        }
        // Not STOPPING=1 for systemd: the process goes on (exec'd, the same PID), standing by.
        broker.on_lease_lost([&](const std::string&) {
            watchdog_timer.cancel();
            broker.close();
            stand_by_again = true;
            loop.stop();
        });
        loop.add_reader(signal_fd, [&] {
            signalfd_siginfo info{};
            if (::read(signal_fd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return;
            if (info.ssi_signo == SIGHUP) {
                try {
                    broker.reload_keys();
                } catch (const shoal::broker::broker_error& e) {
                    spdlog::error("shoal-broker: SIGHUP: {}", e.what());
                }
                return;
            }
            spdlog::info("shoal-broker: {} received, closing",
                         info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
            notify.stopping("closing");
            watchdog_timer.cancel();
            broker.close();
            loop.stop();
        });
        try {
            loop.run_forever();
        } catch (const std::exception& e) {
            spdlog::critical("shoal-broker: event loop failed: {}", e.what());
            exit_code = 1;
        }
        loop.remove_reader(signal_fd);
        broker.close();
    }
    ::close(signal_fd);
    if (stand_by_again && exit_code == 0) {
        // Everything this broker served is in Redis: a fresh process, as a standby, is the
        // simplest way to hold nothing of it.
        spdlog::info("shoal-broker: starting again as a standby");
        ::setenv(gave_lease_up, "1", 1);
        ::execv("/proc/self/exe", argv);
        spdlog::critical("shoal-broker: cannot start again: {}", std::strerror(errno));
        return 1;
    }
    return exit_code;
}
