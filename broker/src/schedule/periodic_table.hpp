#pragma once
// periodic_table: the broker's periodic tasks (issue 18, "Periodic tasks in the broker"), by
// name: each one's definition, its parsed schedule, and what it has fired. The broker's
// timer (periodic.cpp) asks slots_due() of each and submits the slot's task; this table
// only keeps the state and turns it into the record Redis holds, so that a restarted (or
// standby) broker goes on from the last slot fired.
//
// Exactly once: a slot's task id is a function of (name, slot) (slot_task_id), so a slot fired
// twice (a broker that stopped between the task's write and the record's) is the same task
// twice, which the broker's dedup answers without running it again.
//
// Thread-safety: none; the broker's loop thread only.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "schedule/periodic_schedule.hpp"
#include "shoal/broker/periodic_definition.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal::broker {

struct periodic_entry {
    periodic_definition def;
    periodic_schedule schedule;
    std::uint64_t anchor_ms = 0;     // unix ms it was defined: its slots are after this
    std::uint64_t last_slot_ms = 0;  // the last slot fired (or skipped up to); 0: none yet
    std::uint64_t runs = 0;          // slots whose task was submitted
    std::uint64_t skipped = 0;       // slots missed and not run (policy, or a pause)
    bool paused = false;
    bool from_config = false;  // the config file's: a restart without it in the file drops it
    std::optional<std::uint64_t> next_ms;  // the next slot as of the last look; none: never
};

// The id of a slot's task: the same for the same (name, slot_ms) on every broker and build (a
// stable hash, not std::hash), laid out as a UUIDv8 so it reads as an id.
proto::task_id slot_task_id(std::string_view name, std::uint64_t slot_ms);

// An entry for a definition, anchored at `anchor_ms`. Throws schedule_error when the
// schedule, zone or missed policy is bad, or the name, task or queue is empty or too long,
// or args is not a msgpack array.
periodic_entry make_periodic_entry(const periodic_definition& d, std::uint64_t anchor_ms);

// The record kept in Redis (shoal:periodic, field = the name): a msgpack map, so fields can
// be added later. decode returns nullopt for a record that does not read back to a valid
// entry (it is then left alone in Redis and logged).
std::string encode_periodic(const periodic_entry& e);
std::optional<periodic_entry> decode_periodic(std::string_view name, std::string_view record);

class periodic_table {
  public:
    // Adds it, or replaces the entry of the same name.
    periodic_entry& put(periodic_entry e);
    // False when there is no such entry.
    bool remove(std::string_view name);
    periodic_entry* find(std::string_view name);
    bool empty() const noexcept { return entries_.empty(); }
    std::size_t size() const noexcept { return entries_.size(); }
    // By name.
    template <class F>
    void for_each(F&& f) {
        for (auto& [name, e] : entries_) f(e);
    }
    template <class F>
    void for_each(F&& f) const {
        for (const auto& [name, e] : entries_) f(e);
    }
    // The earliest next_ms of an entry that is not paused.
    std::optional<std::uint64_t> earliest_next() const;

  private:
    std::map<std::string, periodic_entry, std::less<>> entries_;
};

}  // namespace shoal::broker
