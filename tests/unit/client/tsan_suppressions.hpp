#pragma once
// ThreadSanitizer suppressions for the libraries TSan cannot see into, compiled into each
// client test executable (include this header from exactly one file per executable; every
// test here is one file). Only the TSan build defines it.
//
//   libzmq      hands message buffers between our threads and its own I/O thread through
//               lock-free queues compiled without instrumentation: every send and receive
//               would be reported as a race on the buffer.
//   libstdc++   exception_ptr's reference count lives in the uninstrumented libstdc++.so: a
//               failed future's exception read in one thread and released in another is
//               reported when the last release frees it.
// Races in our own code are still reported: both suppressions match only frames in those
// libraries' code.

#if defined(__SANITIZE_THREAD__)
extern "C" __attribute__((used)) const char* __tsan_default_suppressions() {
    return "called_from_lib:libzmq.so.5\n"
           "race:std::__exception_ptr::exception_ptr::_M_release\n";
}
#endif
