#pragma once
// What a task's exception becomes on the wire: the demangled dynamic type name and the
// message. A shoal::task_error keeps the type it carries (the original exception's, from a
// process-pool child, or shoal::argument_error from the codec); a shoal::retry_task becomes
// retry_type.

#include <exception>
#include <string>

namespace shoal::worker_detail {

// The error type of a task that threw shoal::retry_task (its message is the reason).
inline constexpr const char* retry_type = "shoal::retry";

struct exception_description {
    std::string type;     // e.g. "std::invalid_argument"
    std::string message;  // what(), or a fixed text for exceptions that are not std::exception
};

exception_description describe(const std::exception_ptr& error);

// abi::__cxa_demangle, or the mangled name if it cannot be demangled.
std::string demangle(const char* mangled);

}  // namespace shoal::worker_detail
