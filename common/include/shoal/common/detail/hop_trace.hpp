#pragma once
// Where a task's round trip spends its time: a timestamp at each hop, for the latency
// breakdown in bench/README.md ("Where a round trip's time goes").
//
//     shoal::hop_trace::record(shoal::hop_trace::hop::broker_submit, id.as_bytes());
//
// Built in only with -DSHOAL_HOP_TRACE=ON, which compiles hop_trace.cpp alone differently (so
// every other object is the normal build's, and ccache serves it). In such a build a process
// whose environment has SHOAL_HOP_TRACE_DIR keeps (hop, task id, CLOCK_MONOTONIC ns) in memory
// and writes them to DIR/hops-PID.tsv when it exits; bench/cluster/hop_breakdown.py joins the
// files by task id. In a normal build record() returns at once.

#include <cstdint>
#include <string_view>

namespace shoal::hop_trace {

// In the order a round trip passes them.
enum class hop : std::uint8_t {
    caller_submit,    // the caller handed the task to the client (its thread)
    client_send,      // the client's I/O thread put it in a SUBMIT
    broker_submit,    // the broker read the SUBMIT
    broker_dispatch,  // the broker put it in a DISPATCH
    worker_dispatch,  // the worker's task loop read the DISPATCH
    task_start,       // the worker started it
    task_end,         // it finished
    worker_done,      // the worker's task loop put it in a DONE
    broker_done,      // the broker read the DONE
    broker_result,    // the broker put it in a RESULT
    client_result,    // the client's I/O thread read the RESULT
    caller_result,    // the caller has the value (recorded by the caller: bench's client)
};
inline constexpr int hop_count = 12;

// Whether this build records (SHOAL_HOP_TRACE=ON) and this process was asked to.
bool enabled() noexcept;
// `task_id`: the id's 16 bytes.
void record(hop h, std::string_view task_id) noexcept;
const char* name(hop h) noexcept;

}  // namespace shoal::hop_trace
