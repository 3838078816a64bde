#include "chunk_calls.hpp"

#include <msgpack.hpp>

#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/common/errors.hpp"

namespace shoal::worker_detail {

std::vector<std::string> split_chunk(std::string_view payload, std::string_view task_name) {
    const auto handle =
        detail::unpack_object(payload, detail::argument_error_type, "the chunk's argument list");
    const msgpack::object& args = handle.get();
    const auto fail = [&](const std::string& why) {
        return task_error(detail::argument_error_type,
                          "chunk of '" + std::string(task_name) + "': " + why);
    };
    if (args.type != msgpack::type::ARRAY || args.via.array.size != 1 ||
        args.via.array.ptr[0].type != msgpack::type::ARRAY) {
        throw fail("its one argument must be the list of the calls' argument arrays");
    }
    const msgpack::object_array& calls = args.via.array.ptr[0].via.array;
    std::vector<std::string> out;
    out.reserve(calls.size);
    for (std::uint32_t i = 0; i < calls.size; ++i) {
        if (calls.ptr[i].type != msgpack::type::ARRAY) {
            throw fail("call " + std::to_string(i + 1) + " is not an argument array");
        }
        std::string bytes;
        detail::string_stream stream{&bytes};
        msgpack::pack(stream, calls.ptr[i]);
        out.push_back(std::move(bytes));
    }
    return out;
}

std::string join_results(const std::vector<std::string>& results) {
    std::string out;
    std::size_t size = 5;
    for (const std::string& r : results) size += r.size();
    out.reserve(size);
    detail::string_stream stream{&out};
    msgpack::packer<detail::string_stream>(stream).pack_array(
        static_cast<std::uint32_t>(results.size()));
    for (const std::string& r : results) out += r;
    return out;
}

task<std::string> run_chunk_on_loop(const task_entry* entry, std::string payload) {
    const std::vector<std::string> calls = split_chunk(payload, entry->name);
    std::vector<std::string> results;
    results.reserve(calls.size());
    for (const std::string& call : calls) {
        results.push_back(co_await entry->make_coroutine(call));
    }
    co_return join_results(results);
}

}  // namespace shoal::worker_detail
