#include "event_stream.hpp"

#include <algorithm>

namespace shoal::broker {

namespace {
// A map16 header: 0xde, then the number of entries, big-endian (patched by end()).
constexpr char map16 = static_cast<char>(0xde);
// An EVENTS body's own bytes besides its events: two array headers and the dropped count.
constexpr std::size_t body_overhead = 16;
}  // namespace

bool event_stream::subscribe(peer_ref ref) {
    const bool known = std::any_of(subscribers_.begin(), subscribers_.end(),
                                   [&](const subscriber& s) { return s.ref == ref; });
    if (known) return false;
    subscribers_.push_back({ref, 0});
    return true;
}

void event_stream::unsubscribe(peer_ref ref) {
    std::erase_if(subscribers_, [&](const subscriber& s) { return s.ref == ref; });
    if (subscribers_.empty()) {
        buffer_.clear();
        starts_.clear();
    }
}

void event_stream::begin(std::string_view type, double timestamp) {
    open_ = buffer_.size();
    starts_.push_back(open_);
    buffer_.append({map16, 0, 0});
    open_fields_ = 0;
    field("type", type);
    field("timestamp", timestamp);
    field("clock", ++clock_);
}

void event_stream::key(std::string_view k) {
    packer_.pack_str(static_cast<std::uint32_t>(k.size()));
    packer_.pack_str_body(k.data(), static_cast<std::uint32_t>(k.size()));
    ++open_fields_;
}

void event_stream::field(std::string_view k, std::string_view text) {
    key(k);
    packer_.pack_str(static_cast<std::uint32_t>(text.size()));
    packer_.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
}

void event_stream::field(std::string_view k, std::uint64_t n) {
    key(k);
    packer_.pack(n);
}

void event_stream::field(std::string_view k, double x) {
    key(k);
    packer_.pack(x);
}

void event_stream::field(std::string_view k, bool b) {
    key(k);
    packer_.pack(b);
}

void event_stream::field_id(const proto::task_id& id) {
    // The id's 32 hex digits, written in place: no string per event.
    static constexpr char digits[] = "0123456789abcdef";
    key("uuid");
    packer_.pack_str(32);
    const std::string_view raw = id.as_bytes();
    for (const char byte : raw) {
        const auto b = static_cast<unsigned char>(byte);
        buffer_.push_back(digits[b >> 4]);
        buffer_.push_back(digits[b & 0xf]);
    }
}

void event_stream::field_payload(std::string_view k, std::string_view size_key,
                                 std::string_view bytes) {
    if (bytes.size() > max_payload_bytes) {
        field(size_key, static_cast<std::uint64_t>(bytes.size()));
        return;
    }
    key(k);
    packer_.pack_bin(static_cast<std::uint32_t>(bytes.size()));
    packer_.pack_bin_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
}

void event_stream::end() {
    buffer_[open_ + 1] = static_cast<char>(open_fields_ >> 8);
    buffer_[open_ + 2] = static_cast<char>(open_fields_ & 0xff);
}

void event_stream::publish(std::size_t max_bytes, std::size_t max_events, const sender& send) {
    if (starts_.empty()) return;
    const std::size_t n = starts_.size();
    starts_.push_back(buffer_.size());  // the end of the last event
    std::size_t first = 0;
    while (first < n) {
        // As many events as fit one message (a single larger event goes alone).
        std::size_t last = first + 1;
        while (last < n && last - first < max_events &&
               starts_[last + 1] - starts_[first] + body_overhead <= max_bytes) {
            ++last;
        }
        const std::string_view chunk(buffer_.data() + starts_[first],
                                     starts_[last] - starts_[first]);
        const auto count = static_cast<std::uint32_t>(last - first);
        for (auto it = subscribers_.begin(); it != subscribers_.end();) {
            body_.clear();
            string_writer w{body_};
            msgpack::packer<string_writer> p(w);
            p.pack_array(2);
            p.pack_array(count);
            body_.append(chunk);
            p.pack(it->dropped);
            bool gone = false;
            if (!send(it->ref, body_, gone)) {
                if (gone) {
                    it = subscribers_.erase(it);
                    continue;
                }
                it->dropped += count;
                dropped_total_ += count;
            }
            ++it;
        }
        first = last;
    }
    buffer_.clear();
    starts_.clear();
    if (body_.capacity() > (std::size_t{1} << 20)) std::string().swap(body_);
    if (buffer_.capacity() > (std::size_t{4} << 20)) std::string().swap(buffer_);
}

}  // namespace shoal::broker
