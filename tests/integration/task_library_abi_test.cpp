// The stock worker refuses a task library built against an incompatible Shoal, with a message
// that says what to rebuild, before it calls anything in it (tests/support/plugins).
#include <string>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"

namespace {

using shoal::testing::cluster_paths;
using shoal::testing::run_merged;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(TaskLibraryAbi, ALibraryBuiltForAnotherShoalMinorIsRefusedSayingWhatToRebuild) {
    const auto r = run_merged({cluster_paths::worker(), "--broker", "tcp://127.0.0.1:1", "--tasks",
                               SHOAL_FOREIGN_ABI_PLUGIN});
    EXPECT_EQ(r.status, 2) << r.out;  // not 134: its registration (abort) never ran
    EXPECT_TRUE(contains(r.out, "built against Shoal")) << r.out;
    EXPECT_TRUE(contains(r.out, "rebuild it against Shoal")) << r.out;
}

TEST(TaskLibraryAbi, ALibraryWithoutAnAbiRecordIsRefused) {
    const auto r = run_merged(
        {cluster_paths::worker(), "--broker", "tcp://127.0.0.1:1", "--tasks", SHOAL_NO_ABI_PLUGIN});
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "records no Shoal ABI")) << r.out;
}

}  // namespace
