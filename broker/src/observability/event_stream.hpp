#pragma once
// event_stream: what happens to tasks and workers, told to the sessions that SUBSCRIBEd
// (PROTOCOL.md section 6.4), with Celery's event names and fields.
//
// Cost: nothing is built while nobody subscribes (every call site asks active() first). With
// subscribers, each event is packed once into one buffer per wake-up, and the buffer goes to
// every subscriber in EVENTS messages at the wake-up's end. A subscriber is served within its
// output window: what does not fit is dropped for it alone and counted (its next EVENTS says
// how many it missed in all), so a slow subscriber never holds the broker or grows it.
//
// Maps are written with a 16-bit size header patched once the event is complete, so that a
// call site can add optional fields without counting them first (still valid msgpack).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

#include "../peer_ref.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal::broker {

class event_stream {
  public:
    // The bytes of a payload (arguments, result) an event carries at most; a larger one is
    // told by its size alone (`args_bytes`, `result_bytes`).
    static constexpr std::size_t max_payload_bytes = 1024;

    bool active() const noexcept { return !subscribers_.empty(); }
    // True if it was not subscribed already.
    bool subscribe(peer_ref ref);
    void unsubscribe(peer_ref ref);
    std::size_t subscribers() const noexcept { return subscribers_.size(); }

    // One event: begin(), then any fields, then end(). Adds type, timestamp (unix seconds)
    // and clock (this broker's event sequence number, from 1).
    void begin(std::string_view type, double timestamp);
    void field(std::string_view key, std::string_view text);
    void field(std::string_view key, const char* text) { field(key, std::string_view(text)); }
    void field(std::string_view key, std::uint64_t n);
    void field(std::string_view key, double x);
    void field(std::string_view key, bool b);
    void field_id(const proto::task_id& id);  // "uuid": the id's canonical text
    // A payload as bin under `key` when at most max_payload_bytes, else its size under
    // `size_key`.
    void field_payload(std::string_view key, std::string_view size_key, std::string_view bytes);
    void end();

    // Sends what gathered since the last call to every subscriber, in EVENTS messages of at
    // most max_bytes and max_events each. `send` sends one body to one subscriber and returns
    // false when it did not (outside its window, or its socket refused): those events are
    // dropped for it and counted. A subscriber whose session ended is forgotten.
    using sender = std::function<bool(peer_ref, std::string_view body, bool& gone)>;
    void publish(std::size_t max_bytes, std::size_t max_events, const sender& send);

    std::uint64_t published() const noexcept { return clock_; }
    std::uint64_t dropped() const noexcept { return dropped_total_; }

  private:
    struct subscriber {
        peer_ref ref;
        std::uint64_t dropped = 0;
    };
    struct string_writer {
        std::string& out;
        void write(const char* data, std::size_t size) { out.append(data, size); }
    };
    void key(std::string_view k);

    std::vector<subscriber> subscribers_;
    std::string buffer_;               // this wake-up's events, each a msgpack map
    std::vector<std::size_t> starts_;  // where each event begins in buffer_
    std::size_t open_ = 0;             // the open event's map header offset
    std::uint16_t open_fields_ = 0;    // fields of the open event so far
    std::uint64_t clock_ = 0;
    std::uint64_t dropped_total_ = 0;
    string_writer writer_{buffer_};
    msgpack::packer<string_writer> packer_{writer_};
    std::string body_;  // one EVENTS body, reused
};

}  // namespace shoal::broker
