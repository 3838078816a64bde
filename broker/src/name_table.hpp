#pragma once
// name_table: interns names (task names, queue names) as small integers, so that per-task
// records and per-worker sets carry 4 bytes instead of a string. A name nobody uses any more
// is released (task_queues::reclaim decides), and its id is given to the next new name, so
// the table is bounded by the names in use, not by every name ever seen.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shoal::broker {

using name_id = std::uint32_t;

class name_table {
  public:
    // The name's id, adding it if new.
    name_id intern(std::string_view name);
    // The name's id, or nullopt if it is not interned (lookups never grow the table).
    std::optional<name_id> find(std::string_view name) const;
    const std::string& name(name_id id) const { return names_[id]; }
    // Forgets a name; its id may be given to another name from now on.
    void release(name_id id);
    // Whether an id names something (ids run from 0 to capacity(), some released).
    bool holds(name_id id) const noexcept { return id < in_use_.size() && in_use_[id]; }
    std::size_t capacity() const noexcept { return names_.size(); }
    std::size_t size() const noexcept { return ids_.size(); }

  private:
    std::deque<std::string> names_;  // a deque: growing never moves the strings ids_ views
    std::vector<bool> in_use_;
    std::vector<name_id> free_;
    std::unordered_map<std::string_view, name_id> ids_;
};

}  // namespace shoal::broker
