#pragma once
// log_limiter: at most one log line per kind per interval, so that a peer sending garbage in
// a loop cannot flood the log. The line that gets through says how many were held back.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace shoal::broker {

class log_limiter {
  public:
    explicit log_limiter(double interval_s = 1.0) : interval_s_(interval_s) {}

    // True if a line of this kind may be logged now; `suppressed` is then set to how many
    // were held back since the last one.
    bool allow(std::string_view kind, double now, std::uint64_t& suppressed) {
        auto it = kinds_.find(kind);
        if (it == kinds_.end()) it = kinds_.emplace(std::string(kind), state{}).first;
        state& s = it->second;
        if (s.logged_once && now - s.last < interval_s_) {
            ++s.held_back;
            return false;
        }
        suppressed = s.held_back;
        s.held_back = 0;
        s.last = now;
        s.logged_once = true;
        return true;
    }

  private:
    struct state {
        double last = 0;
        std::uint64_t held_back = 0;
        bool logged_once = false;
    };
    struct kind_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    double interval_s_;
    std::unordered_map<std::string, state, kind_hash, std::equal_to<>> kinds_;
};

}  // namespace shoal::broker
