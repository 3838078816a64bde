#pragma once
// worker_table: every worker the dashboard has seen, online or offline. The worker events
// (worker-online, -heartbeat, -offline) keep it live; the broker's INSPECT workers, polled,
// adds what events do not carry (queues, tasks offered, prefetch, draining) and finds the
// workers that were online before the dashboard started. Bounded: past max_workers the
// offline worker heard from longest ago is forgotten.
//
// Not thread-safe: cluster_model guards it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shoal/dashboard/event_fields.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::dashboard {

struct worker_record {
    std::string hostname;
    bool online = false;
    std::string version;  // sw_ver, or INSPECT's version
    std::string offline_reason;
    double freq = 0;  // heartbeat interval, seconds
    double load = 0;  // slots in use / slots
    std::uint64_t active = 0;
    std::uint64_t processed = 0;
    std::uint64_t slots = 0;
    std::uint64_t prefetch = 0;
    bool draining = false;
    std::string queues;             // comma-separated, from INSPECT
    std::string tasks;              // task names offered, from INSPECT
    double first_seen = 0;          // unix seconds
    double last_heartbeat = 0;      // unix seconds of the last event (or INSPECT) about it
    std::uint64_t heard_order = 0;  // the model's order of the last event about it
};

class worker_table {
  public:
    static constexpr std::size_t max_workers = 10'000;

    // worker-* events; others are ignored.
    void apply(const event_fields& e, std::uint64_t order);
    // An INSPECT workers answer asked for when the model's order was `asked_order`, received
    // at unix time `now`: listed workers are online; an online worker not listed, and not heard
    // from since the question, is offline.
    void apply_inspect(const proto::report& report, std::uint64_t asked_order, double now);

    const std::map<std::string, worker_record>& all() const noexcept { return workers_; }
    std::size_t online() const noexcept;

  private:
    worker_record& find_or_add(const std::string& hostname, double now);
    void trim();

    std::map<std::string, worker_record> workers_;
};

}  // namespace shoal::dashboard
