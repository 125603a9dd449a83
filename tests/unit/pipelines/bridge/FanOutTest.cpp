// The bridge's sending threads: every worker gets every packet, in order, on its own thread;
// a worker that is stuck loses packets past its queue and nobody else notices; stopping
// releases what was still queued.
#include "pipelines/bridge/FanOut.h"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "pipelines/GstInit.h"

namespace ceremony::media::bridge {
namespace {

using namespace std::chrono_literals;

class FanOutTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initGStreamer().empty()); }
};

// What each worker was handed: the packets' running times, in order, and its threads.
struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<unsigned, std::vector<GstClockTime>> times;
  std::map<unsigned, std::set<std::thread::id>> threads;
  std::map<unsigned, int> video;

  std::size_t count(unsigned worker) {
    std::lock_guard lock(mutex);
    return times[worker].size();
  }
  bool waitFor(unsigned worker, std::size_t n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 5s, [&] { return times[worker].size() >= n; });
  }
};

GstBuffer* packet() {
  return gst_buffer_new_allocate(nullptr, 1200, nullptr);
}

TEST_F(FanOutTest, EveryWorkerGetsEveryPacketInOrderOnAThreadOfItsOwn) {
  Seen seen;
  FanOut fan(2, 1000, [&](unsigned w, RtpStream stream, GstBuffer*, GstClockTime t) {
    std::lock_guard lock(seen.mutex);
    seen.times[w].push_back(t);
    seen.threads[w].insert(std::this_thread::get_id());
    seen.video[w] += stream == RtpStream::Video ? 1 : 0;
    seen.changed.notify_all();
  });
  fan.start();
  std::vector<GstBuffer*> sent;
  for (int i = 0; i < 300; ++i) {
    GstBuffer* b = packet();
    fan.post(i % 5 != 0 ? RtpStream::Video : RtpStream::Audio, b, static_cast<GstClockTime>(i));
    sent.push_back(b);
  }
  ASSERT_TRUE(seen.waitFor(0, 300));
  ASSERT_TRUE(seen.waitFor(1, 300));
  fan.stop();
  std::vector<GstClockTime> expected;
  for (int i = 0; i < 300; ++i) expected.push_back(static_cast<GstClockTime>(i));
  EXPECT_EQ(seen.times[0], expected);
  EXPECT_EQ(seen.times[1], expected);
  EXPECT_EQ(seen.video[0], 240);
  ASSERT_EQ(seen.threads[0].size(), 1u);
  ASSERT_EQ(seen.threads[1].size(), 1u);
  EXPECT_NE(*seen.threads[0].begin(), *seen.threads[1].begin());
  EXPECT_EQ(fan.dropped(), 0u);
  // The workers took references of their own and gave them back: the poster's is the last.
  for (GstBuffer* b : sent) {
    EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(b), 1);
    gst_buffer_unref(b);
  }
}

// A gate a worker waits at until any thread opens it.
struct Gate {
  std::mutex mutex;
  std::condition_variable opened;
  bool closed = true;
  void open() {
    {
      std::lock_guard lock(mutex);
      closed = false;
    }
    opened.notify_all();
  }
  void pass() {
    std::unique_lock lock(mutex);
    opened.wait(lock, [&] { return !closed; });
  }
};
// Opens the gate when the test ends, even a failed one, before the fan-out (declared
// earlier) joins its workers.
struct OpenAtEnd {
  Gate& gate;
  ~OpenAtEnd() { gate.open(); }
};

TEST_F(FanOutTest, AStuckWorkerLosesWhatItsQueueCannotHoldAndTheOtherGetsEverything) {
  Seen seen;
  Gate gate;  // worker 1 waits here on its first packet
  FanOut fan(2, 10, [&](unsigned w, RtpStream, GstBuffer*, GstClockTime t) {
    if (w == 1) gate.pass();
    std::lock_guard lock(seen.mutex);
    seen.times[w].push_back(t);
    seen.changed.notify_all();
  });
  OpenAtEnd atEnd{gate};
  fan.start();
  // Worker 1 holds packet 0; its queue takes 10 more, and the 40 after those are lost to it.
  // Each packet goes once worker 0 has had the one before, so worker 0's queue never fills.
  for (int i = 0; i <= 50; ++i) {
    GstBuffer* b = packet();
    fan.post(RtpStream::Video, b, static_cast<GstClockTime>(i));
    gst_buffer_unref(b);
    ASSERT_TRUE(seen.waitFor(0, static_cast<std::size_t>(i) + 1));
    if (i == 0) std::this_thread::sleep_for(50ms);  // worker 1 has taken packet 0 by now
  }
  EXPECT_EQ(seen.count(0), 51u);
  EXPECT_EQ(seen.count(1), 0u);
  EXPECT_EQ(fan.dropped(), 40u);
  gate.open();
  ASSERT_TRUE(seen.waitFor(1, 11));
  fan.stop();
  std::vector<GstClockTime> expected;
  for (int i = 0; i <= 10; ++i) expected.push_back(static_cast<GstClockTime>(i));
  EXPECT_EQ(seen.times[1], expected);
}

TEST_F(FanOutTest, StoppingReleasesWhatWasStillQueuedAndLaterPacketsAreRefused) {
  Gate gate;
  FanOut fan(1, 100, [&](unsigned, RtpStream, GstBuffer*, GstClockTime) { gate.pass(); });
  OpenAtEnd atEnd{gate};
  fan.start();
  std::vector<GstBuffer*> sent;
  for (int i = 0; i < 20; ++i) {
    GstBuffer* b = packet();
    fan.post(RtpStream::Audio, b, static_cast<GstClockTime>(i));
    sent.push_back(b);
  }
  std::thread opener([&] {
    std::this_thread::sleep_for(100ms);
    gate.open();
  });
  fan.stop();  // the worker finishes the packet it holds, the rest are released
  opener.join();
  GstBuffer* late = packet();
  fan.post(RtpStream::Audio, late, 99);
  sent.push_back(late);
  for (GstBuffer* b : sent) {
    EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(b), 1);
    gst_buffer_unref(b);
  }
}

}  // namespace
}  // namespace ceremony::media::bridge
