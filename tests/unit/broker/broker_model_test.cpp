// The broker's tables against the reference model of tests/support/broker_model.hpp: random
// sequences of everything a client and a worker can do, and of time passing, checked after
// every step (see there). The broker keeps everything in memory here; with Redis and restarts,
// see tests/integration/broker_model_durable_test.cpp.
//
// Replay a failure: SHOAL_MODEL_SEED=<seed> [SHOAL_MODEL_VERBOSE=1] unit_broker_broker_model_test
// --gtest_filter=<the test>. More sequences: SHOAL_MODEL_SEQUENCES=<n>.

#include "broker_model.hpp"

#include <gtest/gtest.h>

namespace {

using shoal::broker::testing::model::model_options;
using shoal::broker::testing::model::run_sequences;

TEST(BrokerModel, RandomSequencesAgreeWithTheModel) { run_sequences(1, 1500, model_options{}); }

// The same with a message limit (1200 bytes) that splits DISPATCH, RESULT and FETCHED.
TEST(BrokerModel, RandomSequencesWithSmallMessagesAgreeWithTheModel) {
    model_options options;
    options.small_messages = true;
    run_sequences(1'000'001, 500, options);
}

}  // namespace
