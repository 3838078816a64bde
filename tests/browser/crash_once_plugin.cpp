// A task library for the dashboard's browser test (dashboard_browser_test.py):
//
//   crash_once  long(std::string marker)  process pool  the first run (no file `marker` yet)
//                                                       creates it and dies of SIGSEGV; every
//                                                       later run returns 42
//
// With the broker's --max-attempts 1, its first run makes a dead letter at once, and the
// dashboard's Retry then runs it again, to success: a dead letter whose retry is seen to work.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "shoal/worker/plugin.hpp"

namespace {

inline constexpr shoal::task_def<long(std::string)> crash_once{"crash_once"};

long crash_the_first_time(const std::string& marker) {
    const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        std::raise(SIGSEGV);
    }
    return 42;
}

}  // namespace

SHOAL_TASK_PLUGIN(registry) {
    registry.define(crash_once, crash_the_first_time, shoal::run_on::process_pool);
}
