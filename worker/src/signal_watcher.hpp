#pragma once
// signal_watcher: turns signals into loop callbacks through a signalfd, so no work ever runs
// inside a signal handler. The constructor blocks the signals in the calling thread (the
// loop's); threads started afterwards inherit the mask, so the kernel delivers the signals
// to the signalfd, never to a pool thread's default action. Construct it before starting
// any thread. The destructor restores the previous mask, after consuming what is pending.

#include <signal.h>

#include <functional>
#include <initializer_list>

#include "shoal/common/event_loop.hpp"

namespace shoal::worker_detail {

class signal_watcher {
  public:
    // Throws std::system_error if the signalfd cannot be made.
    signal_watcher(event_loop& loop, std::initializer_list<int> signals,
                   std::function<void(int signo)> on_signal);
    ~signal_watcher();
    signal_watcher(const signal_watcher&) = delete;
    signal_watcher& operator=(const signal_watcher&) = delete;

  private:
    void on_readable();

    event_loop& loop_;
    std::function<void(int)> on_signal_;
    sigset_t watched_{};
    sigset_t previous_mask_{};
    int fd_ = -1;
};

}  // namespace shoal::worker_detail
