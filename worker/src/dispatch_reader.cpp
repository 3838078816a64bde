#include "dispatch_reader.hpp"

#include <cstdint>

#include <msgpack.hpp>

#include "shoal/proto/bounded_unpack.hpp"
#include "shoal/proto/codec.hpp"

namespace shoal::worker_detail {
namespace {

constexpr const char* bad_task_type = "shoal::bad_task";

// One entry re-wrapped as a one-task DISPATCH body, so the codec's checks judge it.
std::string single_task_body(const msgpack::object& entry) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> packer(buffer);
    packer.pack_array(1);
    packer.pack_array(1);
    packer.pack(entry);
    return std::string(buffer.data(), buffer.size());
}

// The id and attempt of a malformed entry, if they can be read.
bool identify(const msgpack::object& entry, proto::finished_task& into) {
    if (entry.type != msgpack::type::ARRAY || entry.via.array.size == 0) return false;
    const msgpack::object& id = entry.via.array.ptr[0];
    if (id.type != msgpack::type::BIN) return false;
    const auto parsed = proto::task_id::from_bytes(std::string_view(id.via.bin.ptr, id.via.bin.size));
    if (!parsed) return false;
    into.result.id = *parsed;
    into.attempt = 1;
    if (entry.via.array.size > 3) {
        const msgpack::object& attempt = entry.via.array.ptr[3];
        if (attempt.type == msgpack::type::POSITIVE_INTEGER && attempt.via.u64 <= UINT32_MAX) {
            into.attempt = static_cast<std::uint32_t>(attempt.via.u64);
        }
    }
    return true;
}

}  // namespace

dispatch_reading read_dispatch(std::string_view body, const std::string& worker_name,
                               const proto::decode_limits& limits) {
    dispatch_reading reading;
    try {
        reading.tasks = proto::decode<proto::dispatch>(body, limits).tasks;
        return reading;
    } catch (const std::exception& e) {
        reading.problem = e.what();
    }
    msgpack::object_handle handle;
    try {
        handle = proto::unpack_bounded(body, limits);
    } catch (const std::exception&) {
        return reading;  // not even msgpack: nothing can be identified
    }
    const msgpack::object& top = handle.get();
    if (top.type != msgpack::type::ARRAY || top.via.array.size == 0 ||
        top.via.array.ptr[0].type != msgpack::type::ARRAY) {
        return reading;
    }
    const msgpack::object_array& entries = top.via.array.ptr[0].via.array;
    for (std::uint32_t i = 0; i < entries.size; ++i) {
        const msgpack::object& entry = entries.ptr[i];
        try {
            auto one = proto::decode<proto::dispatch>(single_task_body(entry), limits);
            for (auto& t : one.tasks) reading.tasks.push_back(std::move(t));
            continue;
        } catch (const std::exception& e) {
            proto::finished_task refused;
            if (!identify(entry, refused)) {
                ++reading.unidentified;
                continue;
            }
            refused.result.status = proto::task_status::failed;
            refused.result.error = {bad_task_type, std::string("malformed task in DISPATCH: ") + e.what(),
                                    worker_name};
            reading.refused.push_back(std::move(refused));
        }
    }
    return reading;
}

}  // namespace shoal::worker_detail
