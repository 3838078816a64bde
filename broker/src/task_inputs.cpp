#include "task_inputs.hpp"

#include <span>

#include "shoal/proto/argument_splice.hpp"

namespace shoal::broker {

void task_inputs::wait(waiting_task&& t) {
    const proto::task_id id = t.task.id;
    std::size_t slot = 0;
    for (const proto::task_input& in : *t.admit.inputs) {
        for (const proto::task_id& input : in.ids) by_input_[input].push_back({id, slot++});
    }
    t.results.assign(slot, std::nullopt);
    t.missing = slot;
    waiting_.insert_or_assign(id, std::move(t));
}

std::vector<input_slot> task_inputs::take_slots(const proto::task_id& input) {
    const auto it = by_input_.find(input);
    if (it == by_input_.end()) return {};
    std::vector<input_slot> slots = std::move(it->second);
    by_input_.erase(it);
    return slots;
}

waiting_task* task_inputs::find(const proto::task_id& id) {
    const auto it = waiting_.find(id);
    return it == waiting_.end() ? nullptr : &it->second;
}

bool task_inputs::deliver(waiting_task& t, std::size_t slot, std::string_view result) {
    if (slot >= t.results.size() || t.results[slot]) return false;
    t.results[slot] = std::string(result);
    return --t.missing == 0;
}

std::optional<waiting_task> task_inputs::take(const proto::task_id& id) {
    const auto it = waiting_.find(id);
    if (it == waiting_.end()) return std::nullopt;
    waiting_task t = std::move(it->second);
    waiting_.erase(it);
    return t;
}

std::string task_inputs::arguments_of(const waiting_task& t, std::string_view payload) {
    // The list inputs' arrays are built first: a replacement only points at its bytes.
    std::vector<std::string> lists;
    lists.reserve(t.admit.inputs->size());
    std::vector<proto::argument_replacement> replacements;
    replacements.reserve(t.admit.inputs->size());
    std::size_t slot = 0;
    for (const proto::task_input& in : *t.admit.inputs) {
        if (in.index == proto::task_input::no_argument) {
            slot += in.ids.size();  // waited for only
            continue;
        }
        if (!in.list) {
            replacements.push_back({in.index, *t.results.at(slot)});
            ++slot;
            continue;
        }
        // Views of the results: each is copied once, into the array.
        std::vector<std::string_view> values;
        values.reserve(in.ids.size());
        for (std::size_t i = 0; i < in.ids.size(); ++i) values.emplace_back(*t.results.at(slot++));
        lists.push_back(proto::pack_array_of(values));
    }
    std::size_t list = 0;
    for (const proto::task_input& in : *t.admit.inputs) {
        if (in.list && in.index != proto::task_input::no_argument) {
            replacements.push_back({in.index, lists[list++]});
        }
    }
    return proto::splice_arguments(payload, replacements);
}

}  // namespace shoal::broker
