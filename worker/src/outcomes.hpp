#pragma once
// The outcomes a worker reports (PROTOCOL.md section 5.3), built in one place so every path
// fills the error triple the same way and keeps it within the protocol's string limits.

#include <exception>
#include <string>

#include "shoal/proto/messages.hpp"

namespace shoal::worker_detail {

// Error types the worker itself raises (alongside common's shoal::argument_error).
inline constexpr const char* unknown_task_type = "shoal::unknown_task";
inline constexpr const char* revoked_type = "shoal::revoked";
inline constexpr const char* time_limit_type = "shoal::time_limit_exceeded";
inline constexpr const char* result_too_large_type = "shoal::result_too_large";

// Longest error text sent: under the decoders' 64 KiB string limit, with room to spare.
inline constexpr std::size_t max_error_text = 60u << 10;

proto::outcome ok_outcome(const proto::task_id& id, std::string payload);
proto::outcome error_outcome(const proto::task_id& id, proto::task_status status, std::string type,
                             std::string message, const std::string& worker);
// failed, with the exception's demangled type and message.
proto::outcome failed_outcome(const proto::task_id& id, std::exception_ptr error, const std::string& worker);

}  // namespace shoal::worker_detail
