#include "batch_sender.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "shoal/client/errors.hpp"
#include "shoal/common/detail/hop_trace.hpp"
#include "shoal/proto/codec.hpp"

namespace shoal::detail {

namespace {

// Room kept for the message's own headers (array headers and the like).
constexpr std::size_t message_overhead = 64;

// An upper bound of a task's encoded size: fixed fields, headers, and options when present.
std::size_t encoded_size_bound(const proto::submitted_task& t) {
    constexpr std::size_t fixed = 48;           // id, array and str/bin headers
    constexpr std::size_t options_bound = 160;  // every option key and value
    return fixed + t.name.size() + t.queue.size() + t.payload.size() +
           (t.options.empty() ? 1 : options_bound);
}

class submit_batch {
  public:
    submit_batch(proto::dealer_link& link, std::size_t capacity) : link_(link) {
        // Growing the vector would move every task again at each doubling.
        message_.tasks.reserve(capacity);
        owners_.reserve(capacity);
    }

    std::size_t count() const noexcept { return owners_.size(); }
    std::size_t bytes() const noexcept { return bytes_; }

    void add(remote_state_base* owner, std::size_t size) {
        message_.tasks.push_back(std::move(owner->task));
        owners_.push_back(owner);
        bytes_ += size;
    }

    // Encodes, hands every task back to its table entry, sends. False if refused.
    bool send() {
        if (owners_.empty()) return true;
        const std::string body = proto::encode(message_);
        for (std::size_t i = 0; i < owners_.size(); ++i) {
            owners_[i]->task = std::move(message_.tasks[i]);
        }
        message_.tasks.clear();
        owners_.clear();
        bytes_ = 0;
        return link_.send_raw(proto::command::submit, body);
    }

  private:
    proto::dealer_link& link_;
    proto::submit message_;
    std::vector<remote_state_base*> owners_;
    std::size_t bytes_ = 0;
};

}  // namespace

bool send_submits(proto::dealer_link& link, task_table& table,
                  const std::vector<remote_state_base*>& tasks) {
    if (tasks.empty()) return true;
    if (!link.in_session()) return false;
    const proto::welcome& session = link.session();
    const std::size_t max_batch = session.max_batch == 0 ? 1 : session.max_batch;
    const std::size_t budget =
        session.max_message_bytes > 2 * message_overhead
            ? static_cast<std::size_t>(session.max_message_bytes) - message_overhead
            : message_overhead;
    submit_batch batch(link, std::min(tasks.size(), max_batch));
    for (remote_state_base* owner : tasks) {
        const std::size_t size = encoded_size_bound(owner->task);
        if (size > budget) {
            owner->fail(std::make_exception_ptr(payload_too_large(
                "task '" + owner->task.name + "' takes about " + std::to_string(size) +
                " bytes; the broker accepts messages up to " +
                std::to_string(session.max_message_bytes))));
            table.erase(owner->id());  // the last use of owner: the table may drop it
            continue;
        }
        if (batch.count() == max_batch || batch.bytes() + size > budget) {
            if (!batch.send()) return false;
        }
        hop_trace::record(hop_trace::hop::client_send, owner->task.id.as_bytes());
        batch.add(owner, size);
    }
    return batch.send();
}

}  // namespace shoal::detail
