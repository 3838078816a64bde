#pragma once
// A workflow on the command line (`shoal submit`): calls separated by `then` (or `|`) form a
// chain, calls separated by `,` a group; a step after a group is a chord's callback, given the
// list of the group's results:
//
//   shoal submit add 1 2 then mul 10 then add -1 --wait     # chain: 29
//   shoal submit add 1 1 , add 2 2 --wait                   # group: [2,4]
//   shoal submit add 1 1 , add 2 2 then sum --wait          # chord: 6
//
// The separators are words that are no JSON value, so they never clash with an argument.

#include <string>
#include <vector>

namespace shoal::cli {

struct cli_call {
    std::string task;
    std::vector<std::string> args;  // one JSON value each
};
// One step of a chain: one call, or a group of several.
using cli_stage = std::vector<cli_call>;

// The stages of `words` (the task name and everything after it). Throws shoal::error
// (invalid_submit_error) for an empty call ("then then", a trailing ",").
std::vector<cli_stage> parse_workflow(const std::vector<std::string>& words);

}  // namespace shoal::cli
