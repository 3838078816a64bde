#include "durable/durable_records.hpp"

#include <cstring>
#include <stdexcept>

#include "shoal/proto/codec.hpp"

namespace shoal::broker {

namespace {

constexpr char unowned_version = 1;
constexpr char owned_version = 2;

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_u64(std::string_view bytes, std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
}

[[noreturn]] void not_a_record(const char* what) {
    throw proto::decode_error(proto::decode_errc::bad_body,
                              std::string("not a stored ") + what + " record");
}

void check_header(std::string_view bytes, std::size_t need, const char* what) {
    if (bytes.size() < need || (bytes[0] != unowned_version && bytes[0] != owned_version)) {
        not_a_record(what);
    }
}

void start_record(std::string& out, std::uint64_t body_hash, std::string_view owner) {
    if (owner.size() > max_owner_bytes) throw std::length_error("a task owner is too long");
    out.push_back(owner.empty() ? unowned_version : owned_version);
    put_u64(out, body_hash);
}

void put_owner(std::string& out, std::string_view owner) {
    if (owner.empty()) return;
    out.push_back(static_cast<char>(owner.size() & 0xff));
    out.push_back(static_cast<char>(owner.size() >> 8));
    out += owner;
}

// Reads the owner at `at` of a version 2 record (nothing for version 1) and returns where
// the body starts.
std::size_t take_owner(std::string_view bytes, std::size_t at, std::string& owner,
                       const char* what) {
    if (bytes[0] == unowned_version) return at;
    if (bytes.size() < at + 2) not_a_record(what);
    const std::size_t size = static_cast<unsigned char>(bytes[at]) |
                             (std::size_t{static_cast<unsigned char>(bytes[at + 1])} << 8);
    if (size == 0 || bytes.size() < at + 2 + size) not_a_record(what);
    owner.assign(bytes.substr(at + 2, size));
    return at + 2 + size;
}

}  // namespace

std::string encode_task_record(std::uint64_t body_hash, std::uint64_t seq,
                               const proto::submitted_task& task, std::string_view owner) {
    proto::submit one;
    one.tasks.push_back(task);
    const std::string body = proto::encode(one);
    std::string out;
    out.reserve(record_header_bytes + 8 + 2 + owner.size() + body.size());
    start_record(out, body_hash, owner);
    put_u64(out, seq);
    put_owner(out, owner);
    out += body;
    return out;
}

std::string encode_result_record(std::uint64_t body_hash, const proto::outcome& outcome,
                                 std::string_view owner) {
    proto::result one;
    one.outcomes.push_back(outcome);
    const std::string body = proto::encode(one);
    std::string out;
    out.reserve(record_header_bytes + 2 + owner.size() + body.size());
    start_record(out, body_hash, owner);
    put_owner(out, owner);
    out += body;
    return out;
}

task_record decode_task_record(std::string_view bytes) {
    check_header(bytes, record_header_bytes + 8, "task");
    task_record r;
    r.body_hash = get_u64(bytes, 1);
    r.seq = get_u64(bytes, 9);
    const std::size_t body = take_owner(bytes, record_header_bytes + 8, r.owner, "task");
    proto::submit one = proto::decode<proto::submit>(bytes.substr(body));
    if (one.tasks.size() != 1) {
        throw proto::decode_error(proto::decode_errc::bad_body,
                                  "a stored task record holds one task");
    }
    r.task = std::move(one.tasks.front());
    return r;
}

result_record decode_result_record(std::string_view bytes) {
    check_header(bytes, record_header_bytes, "result");
    result_record r;
    r.body_hash = get_u64(bytes, 1);
    const std::size_t body = take_owner(bytes, record_header_bytes, r.owner, "result");
    proto::result one = proto::decode<proto::result>(bytes.substr(body));
    if (one.outcomes.size() != 1) {
        throw proto::decode_error(proto::decode_errc::bad_body,
                                  "a stored result record holds one outcome");
    }
    r.outcome = std::move(one.outcomes.front());
    return r;
}

}  // namespace shoal::broker
