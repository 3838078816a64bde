#pragma once
// chunk_calls: a task dispatched with the `chunk` option (PROTOCOL.md 5.2; the client's
// shoal::chunks, Celery's task.chunks) is many calls of one task in one message: its one
// argument is the list of the calls' argument arrays, `[[[1, 2], [3, 4], ...]]`, and its
// result the list of their results in order. The worker makes the calls one after another in
// the task's own place (the loop, a pool thread, a pool process); the first call that fails
// fails the chunk with that call's error.

#include <string>
#include <string_view>
#include <vector>

#include "shoal/common/task.hpp"
#include "shoal/worker/task_registry.hpp"

namespace shoal::worker_detail {

// The argument arrays of a chunk's payload, each as its own msgpack array. Throws task_error
// (shoal::argument_error) when the payload is not one list of argument arrays.
std::vector<std::string> split_chunk(std::string_view payload, std::string_view task_name);

// The calls' results (each one msgpack value), in order, as one msgpack array.
std::string join_results(const std::vector<std::string>& results);

// A run_on::loop task's chunk: its coroutine once per call, in order, on the loop.
task<std::string> run_chunk_on_loop(const task_entry* entry, std::string payload);

}  // namespace shoal::worker_detail
