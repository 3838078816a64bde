#include "shoal/common/detail/hop_trace.hpp"

#include <array>

#ifdef SHOAL_HOP_TRACE
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>
#endif

namespace shoal::hop_trace {

const char* name(hop h) noexcept {
    static constexpr std::array<const char*, hop_count> names{
        "caller_submit",   "client_send",   "broker_submit", "broker_dispatch",
        "worker_dispatch", "task_start",    "task_end",      "worker_done",
        "broker_done",     "broker_result", "client_result", "caller_result"};
    const auto i = static_cast<std::size_t>(h);
    return i < names.size() ? names[i] : "?";
}

#ifndef SHOAL_HOP_TRACE

bool enabled() noexcept { return false; }
void record(hop, std::string_view) noexcept {}

#else

namespace {

struct stamp {
    std::array<unsigned char, 16> id;
    std::int64_t ns;
    hop at;
};

// Every stamp of this process, written out at exit: nothing is written while tasks run, so
// the trace costs a lock and a push per hop, not a write.
class recorder {
  public:
    recorder() {
        if (const char* dir = std::getenv("SHOAL_HOP_TRACE_DIR"); dir != nullptr && *dir != 0) {
            dir_ = dir;
            stamps_.reserve(1u << 20);
            std::atexit([] { instance().write(); });
        }
    }
    // Never destroyed: the atexit writer runs after static destructors registered later.
    static recorder& instance() {
        static recorder* r = new recorder;  // NOLINT(cppcoreguidelines-owning-memory)
        return *r;
    }
    bool on() const noexcept { return !dir_.empty(); }
    void add(hop h, std::string_view id) noexcept {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        stamp s{};
        std::memcpy(s.id.data(), id.data(), std::min(id.size(), s.id.size()));
        s.ns = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
        s.at = h;
        std::lock_guard lock(mutex_);
        stamps_.push_back(s);
    }
    void write() {
        std::lock_guard lock(mutex_);
        const std::string path = dir_ + "/hops-" + std::to_string(::getpid()) + ".tsv";
        std::FILE* f = std::fopen(path.c_str(), "w");
        if (f == nullptr) return;
        for (const stamp& s : stamps_) {
            for (unsigned char c : s.id) std::fprintf(f, "%02x", c);
            std::fprintf(f, "\t%s\t%lld\n", name(s.at), static_cast<long long>(s.ns));
        }
        std::fclose(f);
        stamps_.clear();
    }

  private:
    std::string dir_;
    std::mutex mutex_;
    std::vector<stamp> stamps_;
};

}  // namespace

bool enabled() noexcept { return recorder::instance().on(); }

void record(hop h, std::string_view task_id) noexcept {
    recorder& r = recorder::instance();
    if (r.on()) r.add(h, task_id);
}

#endif

}  // namespace shoal::hop_trace
