#include "durable/durable_records.hpp"

#include <cstring>

#include "shoal/proto/codec.hpp"

namespace shoal::broker {

namespace {

constexpr char record_version = 1;

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_u64(std::string_view bytes, std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
}

void check_header(std::string_view bytes, std::size_t need, const char* what) {
    if (bytes.size() < need || bytes[0] != record_version) {
        throw proto::decode_error(proto::decode_errc::bad_body,
                                  std::string("not a stored ") + what + " record");
    }
}

}  // namespace

std::string encode_task_record(std::uint64_t body_hash, std::uint64_t seq,
                               const proto::submitted_task& task) {
    proto::submit one;
    one.tasks.push_back(task);
    const std::string body = proto::encode(one);
    std::string out;
    out.reserve(record_header_bytes + 8 + body.size());
    out.push_back(record_version);
    put_u64(out, body_hash);
    put_u64(out, seq);
    out += body;
    return out;
}

std::string encode_result_record(std::uint64_t body_hash, const proto::outcome& outcome) {
    proto::result one;
    one.outcomes.push_back(outcome);
    const std::string body = proto::encode(one);
    std::string out;
    out.reserve(record_header_bytes + body.size());
    out.push_back(record_version);
    put_u64(out, body_hash);
    out += body;
    return out;
}

task_record decode_task_record(std::string_view bytes) {
    check_header(bytes, record_header_bytes + 8, "task");
    task_record r;
    r.body_hash = get_u64(bytes, 1);
    r.seq = get_u64(bytes, 9);
    proto::submit one = proto::decode<proto::submit>(bytes.substr(record_header_bytes + 8));
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
    proto::result one = proto::decode<proto::result>(bytes.substr(record_header_bytes));
    if (one.outcomes.size() != 1) {
        throw proto::decode_error(proto::decode_errc::bad_body,
                                  "a stored result record holds one outcome");
    }
    r.outcome = std::move(one.outcomes.front());
    return r;
}

}  // namespace shoal::broker
