// The bridge's copy-on-write list of viewers: readers keep the list they took, whole, while the
// io thread replaces it.
#include "pipelines/bridge/CopyOnWriteList.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace ceremony::media::bridge {
namespace {

TEST(CopyOnWriteList, StartsEmpty) {
  CopyOnWriteList<int> list;
  ASSERT_TRUE(list.snapshot());
  EXPECT_TRUE(list.snapshot()->empty());
}

TEST(CopyOnWriteList, ASnapshotKeepsWhatItWasWhenTheListIsReplaced) {
  CopyOnWriteList<int> list;
  list.replace({1, 2});
  const auto before = list.snapshot();
  list.replace({3});
  EXPECT_EQ(*before, (std::vector<int>{1, 2}));
  EXPECT_EQ(*list.snapshot(), (std::vector<int>{3}));
}

TEST(CopyOnWriteList, TheOldListGoesWithItsLastReader) {
  CopyOnWriteList<std::shared_ptr<int>> list;
  auto item = std::make_shared<int>(7);
  std::weak_ptr<int> watch = item;
  list.replace({std::move(item)});
  auto reader = list.snapshot();
  list.replace({});
  EXPECT_FALSE(watch.expired());  // a reader still walks the old list
  reader.reset();
  EXPECT_TRUE(watch.expired());
}

TEST(CopyOnWriteList, ReadersOnOtherThreadsOnlyEverSeeWholeLists) {
  CopyOnWriteList<int> list;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};
  // Every list the writer makes holds n copies of n: any other content would be a torn read.
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r)
    readers.emplace_back([&] {
      while (!done) {
        const auto snap = list.snapshot();
        for (int x : *snap)
          if (x != static_cast<int>(snap->size())) ++torn;
        ++reads;
      }
    });
  // At least 2,000 lists, and on until the readers have taken 200 snapshots between them.
  for (int n = 1; n <= 2000 || reads < 200; ++n)
    list.replace(std::vector<int>(static_cast<std::size_t>(n % 50), n % 50));
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn, 0);
}

}  // namespace
}  // namespace ceremony::media::bridge
