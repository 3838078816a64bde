#pragma once
// What a test reads about a running process from /proc, and the latency figures it computes:
//
//   rss_kib(pid)       its resident memory (VmRSS), in KiB; -1 if it is gone
//   open_fds(pid)      how many descriptors it has open (/proc/PID/fd); -1 if it is gone
//   parent_of(pid)     its parent's pid (PPid); -1 if it is gone
//   process_gone(pid)  true once it has exited and been reaped (not even a zombie is left)
//   percentile(v, q)   the q-quantile (0..1) of samples, nearest rank
//   median(v)
//
// A process started through `ip netns exec` or `prlimit` keeps its pid (both exec the
// program), so child_process::pid() is the daemon's own.

#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace shoal::testing {

inline long rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

inline pid_t parent_of(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("PPid:", 0) == 0) return static_cast<pid_t>(std::stol(line.substr(5)));
    }
    return -1;
}

inline bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

inline long open_fds(pid_t pid) {
    std::error_code ec;
    std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
    if (ec) return -1;
    long n = 0;
    for (const auto& entry : it) {
        (void)entry;
        ++n;
    }
    return n;
}

// The q-quantile of `samples` (nearest rank); 0 for none.
inline double percentile(std::vector<double> samples, double q) {
    if (samples.empty()) return 0;
    std::sort(samples.begin(), samples.end());
    const auto rank = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
    return samples[std::min(rank, samples.size() - 1)];
}

inline double median(std::vector<double> values) { return percentile(std::move(values), 0.5); }

}  // namespace shoal::testing
