#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "pipelines/StopThreads.h"

namespace ceremony::media {

using namespace std::chrono_literals;

TEST(StopThreads, RunsTheJobOffTheCallersThreadAndSaysWhenItIsDone) {
  StopThreads threads;
  std::promise<void> release;
  auto released = release.get_future().share();
  const auto caller = std::this_thread::get_id();
  std::thread::id ranOn;
  auto done = threads.run([&] {
    ranOn = std::this_thread::get_id();
    released.wait();
  });
  EXPECT_FALSE(*done);  // the caller did not wait for it
  release.set_value();
  threads.joinAll();
  EXPECT_TRUE(*done);
  EXPECT_NE(ranOn, caller);
  EXPECT_EQ(threads.size(), 0u);
}

TEST(StopThreads, FinishedThreadsAreJoinedAtTheNextRun) {
  StopThreads threads;
  auto first = threads.run([] {});
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (!*first && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(*first);
  std::promise<void> release;
  threads.run([f = release.get_future().share()] { f.wait(); });
  EXPECT_EQ(threads.size(), 1u);  // the first one is gone, the second still runs
  release.set_value();
}  // the destructor joins the second

}  // namespace ceremony::media
