#pragma once
// broker_poller: asks the broker every few seconds for what the event stream does not tell
// (INSPECT workers, queues, dead, limits, stats) and hands the answers to the model. Runs on
// the thread that calls run(); stop() from any thread.

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "shoal/client/client.hpp"
#include "shoal/dashboard/cluster_model.hpp"

namespace shoal::dashboard::detail {

class broker_poller {
  public:
    broker_poller(client& c, cluster_model& model, double interval_s, double timeout_s);
    // Polls until `stop` is true (checked at least every 100 ms).
    void run(const std::atomic<bool>& stop);
    // One round: every INSPECT once (tests, and run()).
    void poll_once();

  private:
    client& client_;
    cluster_model& model_;
    double interval_s_;
    double timeout_s_;
};

}  // namespace shoal::dashboard::detail
