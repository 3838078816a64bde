#pragma once
// The outcomes a worker reports (PROTOCOL.md section 5.3), built in one place so every path
// fills the error triple the same way and keeps it within the protocol's string limits.

#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "shoal/proto/messages.hpp"

namespace shoal::worker_detail {

// Error types the worker itself raises (alongside common's shoal::argument_error).
inline constexpr const char* unknown_task_type = "shoal::unknown_task";
inline constexpr const char* revoked_type = "shoal::revoked";
inline constexpr const char* time_limit_type = "shoal::time_limit_exceeded";
inline constexpr const char* soft_time_limit_type = "shoal::soft_time_limit_exceeded";
inline constexpr const char* result_too_large_type = "shoal::result_too_large";

// Longest error text sent: under the decoders' 64 KiB string limit, with room to spare.
inline constexpr std::size_t max_error_text = 60u << 10;

proto::outcome ok_outcome(const proto::task_id& id, std::string payload);
proto::outcome error_outcome(const proto::task_id& id, proto::task_status status, std::string type,
                             std::string message, const std::string& worker);
// failed, with the exception's demangled type and message (a shoal::retry_task: type
// "shoal::retry", its reason as message).
proto::outcome failed_outcome(const proto::task_id& id, const std::exception_ptr& error,
                              const std::string& worker);
// A shoal::retry_task's countdown in milliseconds (finished_task::retry_countdown_ms); nullopt
// for any other exception, or a retry_task without one.
std::optional<std::uint64_t> retry_countdown_ms(const std::exception_ptr& error);
// "the task ran past its time limit of N ms" / "... its soft time limit of N ms".
std::string limit_message(std::uint64_t limit_ms, bool soft);

}  // namespace shoal::worker_detail
