#include "signal_watcher.hpp"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace shoal::worker_detail {

signal_watcher::signal_watcher(event_loop& loop, std::initializer_list<int> signals,
                               std::function<void(int)> on_signal)
    : loop_(loop), on_signal_(std::move(on_signal)) {
    sigemptyset(&watched_);
    for (int s : signals) sigaddset(&watched_, s);
    if (const int rc = ::pthread_sigmask(SIG_BLOCK, &watched_, &previous_mask_); rc != 0) {
        throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
    }
    fd_ = ::signalfd(-1, &watched_, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0) {
        const int err = errno;
        ::pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
        throw std::system_error(err, std::generic_category(), "signalfd");
    }
    loop_.add_reader(fd_, [this] { on_readable(); });
}

signal_watcher::~signal_watcher() {
    if (!loop_.is_closed()) loop_.remove_reader(fd_);
    // Consume what is pending, so unblocking does not run a default action (termination)
    // for a signal we already owned.
    signalfd_siginfo info{};
    while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    }
    ::close(fd_);
    ::pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void signal_watcher::on_readable() {
    signalfd_siginfo info{};
    while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        on_signal_(static_cast<int>(info.ssi_signo));
    }
}

}  // namespace shoal::worker_detail
