#pragma once
// metrics_page: the broker's /metrics, in Prometheus's text format (prometheus-cpp writes it),
// with celery-exporter's vocabulary where it has a word:
//
//   shoal_task_<event>_total{name}        per task name: sent, received, started, succeeded,
//                                         failed, retried, revoked, rejected, expired,
//                                         dead_lettered (task_name_counts.hpp)
//   shoal_queue_length{queue}             tasks waiting; shoal_queue_consumers{queue}
//   shoal_queue_oldest_age_seconds{queue} the longest wait of a task next in its lane
//   shoal_workers_up                      workers with a session
//   shoal_worker_up{worker}, shoal_worker_info{worker,version}, shoal_worker_slots{worker},
//   shoal_worker_tasks_active{worker}     tasks it holds; shoal_worker_tasks_processed_total{...}
//   shoal_worker_last_heard_seconds{worker}
//   shoal_broker_<counter>_total          every INSPECT stats counter (submitted, dispatched...)
//   shoal_broker_<gauge>                  its gauges and budgets (queued_bytes, max_queued_bytes,
//                                         result_bytes, ..., active, held, dead, pending)
//   shoal_task_runtime_seconds{name}      histogram: how long tasks ran (the worker's DONE)
//   shoal_task_queue_wait_seconds{name}   histogram: from joining a queue to being dispatched
//   shoal_redis_up                        1 when the Redis link is up (absent without Redis)
//   shoal_redis_latency_seconds           histogram: round trips of the broker's Redis writes
//
// It is made from the same INSPECT reports `shoal inspect` prints, so the two never disagree.
// Task ids are never labels: the label values are task names (bounded), queues and workers.

#include <string>

#include "shoal/proto/messages.hpp"
#include "task_name_counts.hpp"

namespace shoal::broker {

struct metrics_sources {
    const proto::report& stats;    // INSPECT stats
    const proto::report& workers;  // INSPECT workers
    const proto::report& queues;   // INSPECT queues
    const task_name_counts& names;
    const duration_histogram* redis_latency = nullptr;  // with Redis
};

std::string render_metrics(const metrics_sources& from);

}  // namespace shoal::broker
