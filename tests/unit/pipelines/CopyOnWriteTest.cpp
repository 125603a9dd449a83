#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pipelines/CopyOnWrite.h"

namespace ceremony::media {

TEST(CopyOnWrite, StartsEmpty) {
  CopyOnWrite<std::vector<int>> list;
  ASSERT_NE(list.snapshot(), nullptr);
  EXPECT_TRUE(list.snapshot()->empty());
}

TEST(CopyOnWrite, ASnapshotIsUnaffectedByALaterAddOrRemove) {
  CopyOnWrite<std::vector<std::string>> list;
  list.edit([](auto& v) { v.push_back("facebook"); });
  const auto before = list.snapshot();
  list.edit([](auto& v) { v.push_back("recording"); });
  const auto afterAdd = list.snapshot();
  list.edit([](auto& v) { v.erase(v.begin()); });

  EXPECT_EQ(*before, std::vector<std::string>{"facebook"});
  EXPECT_EQ(*afterAdd, (std::vector<std::string>{"facebook", "recording"}));
  EXPECT_EQ(*list.snapshot(), std::vector<std::string>{"recording"});
}

TEST(CopyOnWrite, AnEditThatChangesNothingLeavesEqualContent) {
  CopyOnWrite<std::vector<int>> list;
  list.edit([](auto& v) { v.push_back(1); });
  const auto before = list.snapshot();
  list.edit([](auto&) {});
  EXPECT_EQ(*list.snapshot(), *before);
}

TEST(CopyOnWrite, AReplacedValueGoesWithItsLastReader) {
  CopyOnWrite<std::vector<std::shared_ptr<int>>> list;
  auto item = std::make_shared<int>(7);
  std::weak_ptr<int> watch = item;
  list.replace({std::move(item)});
  auto reader = list.snapshot();
  list.replace({});
  EXPECT_FALSE(watch.expired());  // a reader still walks the old list
  EXPECT_TRUE(list.snapshot()->empty());
  reader.reset();
  EXPECT_TRUE(watch.expired());
}

// An appsink thread must never wait for an edit (a destination being added while x264 hands
// out a frame): it takes the value as it was and goes on.
TEST(CopyOnWrite, AReaderNeverWaitsForAnEditInProgress) {
  CopyOnWrite<std::vector<int>> list;
  list.replace({1});
  std::mutex m;
  std::condition_variable cv;
  bool inEdit = false, readerDone = false;
  std::thread editor([&] {
    list.edit([&](auto& v) {
      v.push_back(2);
      std::unique_lock lock(m);
      inEdit = true;
      cv.notify_all();
      cv.wait_for(lock, std::chrono::seconds(3), [&] { return readerDone; });
    });
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return inEdit; });
  }
  auto read = std::async(std::launch::async, [&] { return *list.snapshot(); });
  const bool quick = read.wait_for(std::chrono::seconds(1)) == std::future_status::ready;
  {
    std::lock_guard lock(m);
    readerDone = true;
  }
  cv.notify_all();
  editor.join();
  EXPECT_TRUE(quick) << "snapshot() waited for the edit";
  EXPECT_EQ(read.get(), std::vector<int>{1});
  EXPECT_EQ(*list.snapshot(), (std::vector<int>{1, 2}));
}

TEST(CopyOnWrite, ReadersOnOtherThreadsAlwaysSeeAWholeList) {
  CopyOnWrite<std::vector<int>> list;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!done) {
      const auto snap = list.snapshot();
      for (std::size_t i = 0; i < snap->size(); ++i)
        if ((*snap)[i] != static_cast<int>(i)) ++torn;
    }
  });
  for (int i = 0; i < 2000; ++i) {
    list.edit([&](auto& v) { v.push_back(static_cast<int>(v.size())); });
    if (i % 3 == 0) list.edit([](auto& v) { v.pop_back(); });
  }
  done = true;
  reader.join();
  EXPECT_EQ(torn, 0);
}

}  // namespace ceremony::media
