// Futures as arguments (PROTOCOL.md section 6.5): a task whose `inputs` name other tasks
// waits in the broker (task_inputs) until their results are final, then joins its queue with
// them in its arguments. No client takes part: the submitter may be gone.
//
//   final      in memory when the input finishes; with Redis once Redis has stored its result
//              (on_results_stored), so a dependent never runs on a result a restart could
//              forget and a second run replace
//   failure    an input that ends other than ok fails its dependents (shoal::input_failed,
//              naming the input and carrying its error), a revoked one revokes them; their own
//              dependents follow, one step at a time (no recursion, however long the chain)
//   restart    with Redis a waiting task is recovered like any other: the inputs still pending
//              are waited for again, the results of those that finished are read back

#include <algorithm>

#include "broker_core.hpp"
#include "shoal/proto/argument_splice.hpp"

namespace shoal::broker {

std::optional<proto::refusal> broker_core::refusal_for_inputs(const peer& p,
                                                              const proto::submitted_task& t,
                                                              bool& unknown_input) {
    const std::vector<proto::task_input>& inputs = t.options.inputs;
    if (inputs.empty()) return std::nullopt;
    std::uint64_t arguments = 0;
    try {
        arguments = proto::count_arguments(t.payload);
    } catch (const proto::decode_error& e) {
        return refuse(t.id, "bad_task", fmt::format("inputs: {}", e.what()));
    }
    // At most max_inputs indices: a short list, not a bitmap as long as the arguments claim.
    std::vector<std::uint32_t> taken;
    taken.reserve(inputs.size());
    for (const proto::task_input& in : inputs) {
        if (in.index != proto::task_input::no_argument) {  // else only waited for, not passed
            if (in.index >= arguments) {
                return refuse(
                    t.id, "bad_task",
                    fmt::format("inputs: argument {} is past the last of {}", in.index, arguments));
            }
            if (std::find(taken.begin(), taken.end(), in.index) != taken.end()) {
                return refuse(t.id, "bad_task",
                              fmt::format("inputs: argument {} is given twice", in.index));
            }
            taken.push_back(in.index);
        }
        for (const proto::task_id& id : in.ids) {
            if (id == t.id)
                return refuse(t.id, "bad_task", "inputs: a task cannot be its own input");
            const task_entry* e = store_.find(id);
            if (e != nullptr && may_see(p, e->owner)) continue;
            if (e == nullptr && store_.expired_body(id)) {
                return refuse(
                    t.id, "bad_task",
                    fmt::format("inputs: task {} ran and its result expired", id.to_hex()));
            }
            unknown_input = true;
            return refuse(t.id, "bad_task",
                          fmt::format("inputs: task {} is not one this broker knows", id.to_hex()));
        }
    }
    return std::nullopt;
}

void broker_core::wait_for_inputs(task_entry& entry, std::string_view queue, std::string_view name,
                                  queued_task&& q, const admission& a) {
    q.seq = entry.seq;
    entry.lane = queues_.lane_for(queue, name, a.priority);
    entry.has_lane = true;
    if (!watch_expiry(entry, q.id, a)) return;
    entry.held = true;
    entry.awaiting_inputs = true;
    const proto::task_id id = q.id;
    waiting_task w;
    w.queue = std::string(queue);
    w.name = std::string(name);
    w.lane = entry.lane;
    w.task = std::move(q);
    w.admit = a;
    w.admit.expires_ms.reset();  // watched from now on: not again once it is released
    inputs_.wait(std::move(w));
    // Inputs that are final already give their results now.
    for (const proto::task_input& in : *a.inputs) {
        for (const proto::task_id& input : in.ids) {
            if (const task_entry* e = store_.find(input)) {
                if (e->done && !e->unconfirmed) result_final(input);
            } else if (!recover_input(input)) {
                if (task_entry* self = store_.find(id); self != nullptr && !self->done) {
                    finish_by_broker(
                        id, *self, proto::task_status::failed, std::string(input_failed_type),
                        fmt::format("input {}: its result is no longer stored", input.to_hex()));
                }
                return;
            }
        }
    }
}

bool broker_core::recover_input(const proto::task_id& input) {
    // At startup with Redis: an input that finished before the restart, read back with the
    // recovery (durable_store::read_input_results), becomes a stored result here again.
    if (recovered_inputs_ == nullptr) return false;
    const auto it = recovered_inputs_->find(input);
    if (it == recovered_inputs_->end()) return false;
    auto [e, fresh] = store_.add_pending(input);
    if (fresh) {
        e->body_hash = it->second.body_hash;
        e->owner = owners_.intern(it->second.owner);
        proto::outcome o = it->second.outcome;
        o.id = input;
        store_.complete(*e, std::move(o));
    }
    result_final(input);
    return true;
}

bool broker_core::refill_inputs(task_entry& entry, const admission& a) {
    if (recovered_inputs_ == nullptr) return false;
    waiting_task w;
    w.admit = a;
    for (const proto::task_input& in : *a.inputs) {
        for (const proto::task_id& input : in.ids) {
            const auto it = recovered_inputs_->find(input);
            if (it == recovered_inputs_->end() ||
                it->second.outcome.status != proto::task_status::ok) {
                return false;
            }
            w.results.emplace_back(it->second.outcome.payload);
        }
    }
    try {
        std::string arguments = task_inputs::arguments_of(w, entry.payload);
        const std::uint64_t charge = std::uint64_t{entry.charge} + arguments.size() -
                                     std::min(arguments.size(), entry.payload.size());
        store_.charge(entry,
                      static_cast<std::uint32_t>(std::min<std::uint64_t>(charge, UINT32_MAX)));
        entry.payload = std::move(arguments);
    } catch (const proto::decode_error&) {
        return false;
    }
    return true;
}

void broker_core::result_final(const proto::task_id& id) {
    if (!inputs_.has_dependents(id)) return;
    finals_.push_back(id);
    if (resolving_) return;  // the loop below, further up the stack, takes it
    resolving_ = true;
    while (!finals_.empty()) {
        const proto::task_id input = finals_.front();
        finals_.pop_front();
        if (const task_entry* e = store_.find(input); e != nullptr && e->done) {
            resolve_dependents(input, *e);
        }
    }
    resolving_ = false;
}

void broker_core::resolve_dependents(const proto::task_id& input, const task_entry& in) {
    for (const input_slot& s : inputs_.take_slots(input)) {
        waiting_task* w = inputs_.find(s.dependent);
        if (w == nullptr) continue;  // ended already (revoked, expired, another input failed)
        task_entry* dependent = store_.find(s.dependent);
        if (dependent == nullptr || dependent->done) {
            inputs_.forget(s.dependent);
            continue;
        }
        if (in.status != proto::task_status::ok) {
            fail_dependent(s.dependent, *dependent, input, in);
        } else {
            // The copy it keeps counts against the queued budget from now on, so that results
            // gathered for tasks still waiting (a large chord) cannot grow the broker unseen.
            const std::uint64_t charge = std::uint64_t{dependent->charge} + in.payload.size();
            store_.charge(*dependent,
                          static_cast<std::uint32_t>(std::min<std::uint64_t>(charge, UINT32_MAX)));
            if (inputs_.deliver(*w, s.slot, in.payload)) release_ready(s.dependent, *dependent);
        }
    }
}

void broker_core::fail_dependent(const proto::task_id& id, task_entry& dependent,
                                 const proto::task_id& input, const task_entry& in) {
    // Down a chain the error stays the one where the failure began (its task named): a
    // message that named each link would grow with the chain.
    const proto::error_info* why = in.error.get();
    const bool passed_down =
        why != nullptr &&
        (why->type == input_failed_type ||
         (in.status == proto::task_status::revoked && why->message.rfind("input ", 0) == 0));
    const std::string cause = why == nullptr ? std::string(to_string(in.status))
                                             : fmt::format("{}: {}", why->type, why->message);
    if (in.status == proto::task_status::revoked) {
        ++stats_.revoked;
        finish_by_broker(id, dependent, proto::task_status::revoked, "revoked",
                         passed_down ? why->message
                                     : fmt::format("input {} was revoked ({})", input.to_hex(),
                                                   why == nullptr ? "" : why->message));
        return;
    }
    proto::outcome o;
    o.status = proto::task_status::failed;
    o.error = passed_down ? *why
                          : proto::error_info{std::string(input_failed_type),
                                              fmt::format("input {} {}: {}", input.to_hex(),
                                                          to_string(in.status), cause),
                                              why == nullptr ? "broker" : why->where};
    finish(id, dependent, std::move(o));
}

void broker_core::release_ready(const proto::task_id& id, task_entry& dependent) {
    std::optional<waiting_task> w = inputs_.take(id);
    dependent.awaiting_inputs = false;
    dependent.held = false;
    std::string arguments;
    try {
        arguments = task_inputs::arguments_of(*w, dependent.payload);
    } catch (const proto::decode_error& e) {
        finish_by_broker(id, dependent, proto::task_status::failed, std::string(input_failed_type),
                         fmt::format("its inputs' results do not fit its arguments: {}", e.what()));
        return;
    }
    // Its charge counts the results already (one copy each, delivered): they move into the
    // arguments now.
    dependent.payload = std::move(arguments);
    admission a = std::move(w->admit);
    a.inputs.reset();
    enqueue(dependent, w->queue, w->name, std::move(w->task), a);
}

}  // namespace shoal::broker
