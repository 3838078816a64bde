#include "workflow_line.hpp"

#include "shoal/client/errors.hpp"

namespace shoal::cli {

std::vector<cli_stage> parse_workflow(const std::vector<std::string>& words) {
    std::vector<cli_stage> stages(1);
    bool expect_task = true;
    const auto close_call = [&](const char* separator) {
        if (expect_task) {
            throw invalid_submit_error(std::string("'") + separator +
                                       "' must come between two calls (TASK [ARGS...])");
        }
        expect_task = true;
    };
    for (const std::string& w : words) {
        if (w == "then" || w == "|") {
            close_call(w.c_str());
            stages.emplace_back();
        } else if (w == ",") {
            close_call(",");
        } else if (expect_task) {
            stages.back().push_back(cli_call{w, {}});
            expect_task = false;
        } else {
            stages.back().back().args.push_back(w);
        }
    }
    if (expect_task) throw invalid_submit_error("a workflow cannot end with a separator");
    return stages;
}

}  // namespace shoal::cli
