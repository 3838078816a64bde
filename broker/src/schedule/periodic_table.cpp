#include "schedule/periodic_table.hpp"

#include <fmt/format.h>
#include <msgpack.hpp>

#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/proto/bounded_unpack.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::broker {

namespace {

// FNV-1a, 64 bits: stable across compilers and standard libraries, which std::hash is not.
std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h) noexcept {
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

void check_word(std::string_view what, const std::string& value, bool may_be_empty = false) {
    if ((value.empty() && !may_be_empty) || value.size() > proto::max_name_bytes) {
        throw schedule_error(fmt::format("{}: must be 1..{} bytes", what, proto::max_name_bytes));
    }
}

bool is_msgpack_array(std::string_view bytes) {
    try {
        const auto handle = proto::unpack_bounded(bytes);
        return handle.get().type == msgpack::type::ARRAY;
    } catch (const proto::decode_error&) {
        return false;
    }
}

}  // namespace

proto::task_id slot_task_id(std::string_view name, std::uint64_t slot_ms) {
    std::string key = fmt::format("shoal-periodic\n{}\n{}", name, slot_ms);
    const std::uint64_t hi = fnv1a(key, 0xcbf29ce484222325ULL);
    const std::uint64_t lo = fnv1a(key, hi ^ 0x9e3779b97f4a7c15ULL);
    proto::task_id id;
    for (std::size_t i = 0; i < 8; ++i) {
        const std::size_t shift = 56 - 8 * i;
        id.bytes[i] = static_cast<std::uint8_t>(hi >> shift);
        id.bytes[8 + i] = static_cast<std::uint8_t>(lo >> shift);
    }
    id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0f) | 0x80);  // version 8
    id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
    return id;
}

periodic_entry make_periodic_entry(const periodic_definition& d, std::uint64_t anchor_ms) {
    check_word("name", d.name);
    check_word("task", d.task);
    check_word("queue", d.queue, true);
    if (!d.args.empty() && !is_msgpack_array(d.args)) {
        throw schedule_error("args: must be a msgpack array of the task's arguments");
    }
    periodic_entry e;
    e.schedule = periodic_schedule::parse(d.schedule, d.zone, d.missed);
    e.def = d;
    e.anchor_ms = anchor_ms;
    return e;
}

std::string encode_periodic(const periodic_entry& e) {
    std::string out;
    detail::string_stream stream{&out};
    msgpack::packer<detail::string_stream> p(stream);
    const auto field = [&](const char* key, const auto& value) {
        p.pack(key);
        p.pack(value);
    };
    p.pack_map(12);
    field("task", e.def.task);
    field("queue", e.def.queue);
    p.pack("args");
    p.pack_bin(static_cast<std::uint32_t>(e.def.args.size()));
    p.pack_bin_body(e.def.args.data(), static_cast<std::uint32_t>(e.def.args.size()));
    field("schedule", e.def.schedule);
    field("zone", e.def.zone);
    field("missed", e.def.missed);
    field("anchor_ms", e.anchor_ms);
    field("last_slot_ms", e.last_slot_ms);
    field("runs", e.runs);
    field("skipped", e.skipped);
    field("paused", e.paused);
    field("from_config", e.from_config);
    return out;
}

std::optional<periodic_entry> decode_periodic(std::string_view name, std::string_view record) {
    try {
        const auto handle = proto::unpack_bounded(record);
        const msgpack::object& o = handle.get();
        if (o.type != msgpack::type::MAP) return std::nullopt;
        periodic_definition d;
        d.name = std::string(name);
        std::uint64_t anchor = 0;
        periodic_entry kept;
        for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
            const auto& kv = o.via.map.ptr[i];
            const auto key = kv.key.as<std::string_view>();
            const msgpack::object& v = kv.val;
            if (key == "task")
                d.task = v.as<std::string>();
            else if (key == "queue")
                d.queue = v.as<std::string>();
            else if (key == "args") {
                if (v.type != msgpack::type::BIN) return std::nullopt;
                d.args.assign(v.via.bin.ptr, v.via.bin.size);
            } else if (key == "schedule")
                d.schedule = v.as<std::string>();
            else if (key == "zone")
                d.zone = v.as<std::string>();
            else if (key == "missed")
                d.missed = v.as<std::string>();
            else if (key == "anchor_ms")
                anchor = v.as<std::uint64_t>();
            else if (key == "last_slot_ms")
                kept.last_slot_ms = v.as<std::uint64_t>();
            else if (key == "runs")
                kept.runs = v.as<std::uint64_t>();
            else if (key == "skipped")
                kept.skipped = v.as<std::uint64_t>();
            else if (key == "paused")
                kept.paused = v.as<bool>();
            else if (key == "from_config")
                kept.from_config = v.as<bool>();
        }
        periodic_entry e = make_periodic_entry(d, anchor);
        e.last_slot_ms = kept.last_slot_ms;
        e.runs = kept.runs;
        e.skipped = kept.skipped;
        e.paused = kept.paused;
        e.from_config = kept.from_config;
        return e;
    } catch (const proto::decode_error&) {
        return std::nullopt;
    } catch (const msgpack::type_error&) {
        return std::nullopt;
    } catch (const schedule_error&) {
        return std::nullopt;
    }
}

periodic_entry& periodic_table::put(periodic_entry e) {
    const std::string name = e.def.name;
    auto [it, fresh] = entries_.insert_or_assign(name, std::move(e));
    (void)fresh;
    return it->second;
}

bool periodic_table::remove(std::string_view name) {
    const auto it = entries_.find(name);
    if (it == entries_.end()) return false;
    entries_.erase(it);
    return true;
}

periodic_entry* periodic_table::find(std::string_view name) {
    const auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
}

std::optional<std::uint64_t> periodic_table::earliest_next() const {
    std::optional<std::uint64_t> at;
    for (const auto& [name, e] : entries_) {
        if (e.paused || !e.next_ms) continue;
        if (!at || *e.next_ms < *at) at = e.next_ms;
    }
    return at;
}

}  // namespace shoal::broker
