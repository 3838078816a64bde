#include "shoal/dashboard/string_pool.hpp"

namespace shoal::dashboard {

string_pool::string_pool() { texts_.emplace_back(); }

pooled_string string_pool::intern(std::string_view text) {
    if (text.empty()) return no_string;
    if (auto it = numbers_.find(std::string(text)); it != numbers_.end()) return it->second;
    if (texts_.size() >= max_strings) {
        if (other_ == no_string) {
            other_ = static_cast<pooled_string>(texts_.size());
            texts_.emplace_back("(other)");
        }
        return other_;
    }
    const auto n = static_cast<pooled_string>(texts_.size());
    texts_.emplace_back(text);
    numbers_.emplace(std::string(text), n);
    return n;
}

std::optional<pooled_string> string_pool::find(std::string_view text) const {
    if (text.empty()) return no_string;
    if (auto it = numbers_.find(std::string(text)); it != numbers_.end()) return it->second;
    return std::nullopt;
}

const std::string& string_pool::text(pooled_string s) const {
    return s < texts_.size() ? texts_[s] : texts_[no_string];
}

}  // namespace shoal::dashboard
