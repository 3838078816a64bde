#include "shoal/client/canvas.hpp"

#include <msgpack.hpp>

#include "shoal/client/errors.hpp"
#include "shoal/common/detail/msgpack_codec.hpp"

namespace shoal::detail {

std::string step_payload(const canvas_step& step) {
    std::string out;
    string_stream stream{&out};
    msgpack::packer<string_stream> packer(stream);
    packer.pack_array(step.bound_count + (step.takes_previous ? 1 : 0));
    if (step.takes_previous) packer.pack_nil();
    out.append(step.bound);
    return out;
}

std::string pack_list_of(const std::vector<std::string>& values) {
    std::string out;
    string_stream stream{&out};
    msgpack::packer<string_stream>(stream).pack_array(static_cast<std::uint32_t>(values.size()));
    for (const std::string& v : values) out += v;
    return out;
}

void link_step(proto::submitted_task& task, const canvas_step& step,
               std::span<const proto::task_id> previous, bool list) {
    if (previous.empty()) return;
    if (previous.size() > proto::max_input_ids) {
        throw invalid_submit_error("a chord's callback takes at most " +
                                   std::to_string(proto::max_input_ids) +
                                   " results; make a chord of chords");
    }
    proto::task_input in;
    in.ids.assign(previous.begin(), previous.end());
    in.list = list || previous.size() > 1;
    in.index = step.takes_previous ? 0 : proto::task_input::no_argument;
    task.options.inputs.push_back(std::move(in));
}

}  // namespace shoal::detail
