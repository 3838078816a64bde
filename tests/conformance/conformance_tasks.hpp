#pragma once
// The conformance suite's tasks as C++ declares them (README.md, "The tasks"): the contract
// between conformance_tasks_plugin.cpp (the C++ worker's task library) and cpp_client.cpp.
// The Python worker offers the same names with the same arguments (conformance_tasks.py).
//
// clang-format off
//   task        signature                                  runs on       does
//   add         long(long a, long b)                       loop          a + b
//   fail        void(std::string message)                  thread pool   throws std::runtime_error(message)
//   sleep_ms    long(long ms)                              loop          co_await shoal::sleep(ms); returns ms
//   flaky       long(std::string path, long times)         thread pool   appends a line to `path`; while it has at
//                                                                        most `times` lines, retry_task(50 ms); then
//                                                                        returns the line count
//   echo        std::vector<char>(std::vector<char> data)  loop          returns data (msgpack bin both ways)
//   cpp_negate  long(long n)                               loop          -n (the C++ worker only)
// clang-format on
// py_upper (the Python worker only) has no C++ declaration: the client calls it by name.

#include <string>
#include <vector>

#include "shoal/common/task_def.hpp"

namespace shoal_conformance {

inline constexpr shoal::task_def<long(long, long)> add{"add"};
inline constexpr shoal::task_def<void(std::string)> fail{"fail"};
inline constexpr shoal::task_def<long(long)> sleep_ms{"sleep_ms"};
inline constexpr shoal::task_def<long(std::string, long)> flaky{"flaky"};
// std::vector<char> is msgpack bin (msgpack-c's vector_char adaptor), as Python's bytes.
inline constexpr shoal::task_def<std::vector<char>(std::vector<char>)> echo{"echo"};
inline constexpr shoal::task_def<long(long)> cpp_negate{"cpp_negate"};

}  // namespace shoal_conformance
