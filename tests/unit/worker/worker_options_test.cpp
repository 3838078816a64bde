// worker_options: the queues a worker consumes (--queues, SHOAL_QUEUES, worker_options::queues).
#include "shoal/worker/worker_options.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using shoal::resolve;
using shoal::split_queue_list;
using shoal::worker_options;
using queue_list = std::vector<std::string>;

TEST(WorkerOptions, WithoutQueuesAWorkerConsumesDefault) {
    EXPECT_EQ(resolve(worker_options{}).queues, queue_list{"default"});
}

TEST(WorkerOptions, ItConsumesTheQueuesGivenInTheirOrderEachOnce) {
    worker_options o;
    o.queues = {"gpu", "default", "gpu", "io"};
    EXPECT_EQ(resolve(o).queues, (queue_list{"gpu", "default", "io"}));
}

TEST(WorkerOptions, ItsKeyAndTheBrokersKeyGoTogether) {
    shoal::worker_options half;
    half.key_file = "w1.key_secret";
    EXPECT_THROW((void)shoal::resolve(half), std::invalid_argument);
    half.key_file.clear();
    half.broker_key_file = "broker.key";
    EXPECT_THROW((void)shoal::resolve(half), std::invalid_argument);
    half.key_file = "w1.key_secret";
    EXPECT_EQ(shoal::resolve(half).key_file, "w1.key_secret");
}

TEST(WorkerOptions, AnEmptyOrOverLongQueueNameIsRefused) {
    worker_options o;
    o.queues = {"gpu", ""};
    EXPECT_THROW(resolve(o), std::invalid_argument);
    o.queues = {std::string(256, 'q')};
    EXPECT_THROW(resolve(o), std::invalid_argument);
    o.queues = {std::string(255, 'q')};
    EXPECT_EQ(resolve(o).queues.size(), 1u);
}

TEST(WorkerOptions, AQueueListSplitsAtCommasKeepingEmptyPartsForResolveToRefuse) {
    EXPECT_EQ(split_queue_list("gpu,default"), (queue_list{"gpu", "default"}));
    EXPECT_EQ(split_queue_list("gpu"), queue_list{"gpu"});
    EXPECT_EQ(split_queue_list("gpu,,io"), (queue_list{"gpu", "", "io"}));
    EXPECT_EQ(split_queue_list(""), queue_list{""});
}

}  // namespace
