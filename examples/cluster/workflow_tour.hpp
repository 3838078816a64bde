#pragma once
// Workflows on a running cluster (the cluster tour's last sections, and the
// `workflow_word_count` program): futures as arguments, a chain, and a map-reduce word count
// as a chord, each submitted as one batch and run by the broker without the client.

#include <string>

#include "shoal/client/client.hpp"

namespace shoal_examples {

// Futures as arguments and a chain: prints what each computed.
void show_dataflow(shoal::client& client);

// Counts the words of `text` as a map-reduce: the text cut into `parts` pieces, a group of
// word_count tasks, a chord whose merge_counts callback adds them up. Prints the most common
// words and returns how many distinct words there were.
std::size_t show_word_count(shoal::client& client, const std::string& text, std::size_t parts);

// starmap (one task per call) and chunks (many calls per task): prints what each computed.
void show_many_calls(shoal::client& client);

// A periodic task run by the broker: added, watched for a few runs, removed. Needs an admin
// key on a broker with keys (it says so and goes on without one).
void show_periodic(shoal::client& client);

// A text to count: a few paragraphs about the tasks the seeds were written for.
const std::string& sample_text();

}  // namespace shoal_examples
