// The live inputs' recovery policy on its own, on a real io_context: what operators are
// told of a stall, a return and a rebuild, and when a rebuild is tried. The inputs here
// cannot be built (an unknown element), so no pipeline ever runs.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "pipelines/GstInit.h"
#include "pipelines/StopThreads.h"
#include "pipelines/inputs/InputSupervisor.h"

namespace ceremony::media {
namespace {

using namespace std::chrono_literals;

class InputSupervisorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(initGStreamer().empty()); }

  InputSupervisorTest() {
    SourceConfig s;
    s.id = "hall";
    s.label = "Hội trường";
    s.kind = SourceKind::Launch;
    s.videoLaunch = "no-such-element";
    watch->id = s.id;
    watch->key = LayerKey::source(s.id);
    supervisor.add(s, watch, "test-channel-hall");
    SourceConfig generated;
    generated.id = "bars";
    generated.kind = SourceKind::Test;
    supervisor.add(generated, nullptr, "");
  }
  ~InputSupervisorTest() override { *alive = false; }

  // Runs the loop for `d` (or less if nothing is left to do).
  void runFor(std::chrono::milliseconds d) {
    io.restart();
    io.run_for(d);
  }

  ProgrammeFormat format;
  boost::asio::io_context io;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  StopThreads stopThreads;
  std::vector<InputStatus> reports;
  bool stillLost = true;
  std::vector<std::string> losses;  // reported by a pipeline (or a start that failed)
  std::shared_ptr<InputWatch> watch = std::make_shared<InputWatch>();
  InputSupervisor supervisor{
      io,
      alive,
      format,
      stopThreads,
      {[this](const InputStatus& s) { reports.push_back(s); },
       [this](const InputWatch&) { return stillLost; },
       [this](InputWatch&, gint64, const std::string& reason) { losses.push_back(reason); }}};
};

TEST_F(InputSupervisorTest, ListsEverySourceInOrderAndWatchesOnlyLiveOnes) {
  const auto inputs = supervisor.inputs();
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0].id, "hall");
  EXPECT_EQ(inputs[0].label, "Hội trường");
  EXPECT_TRUE(inputs[0].watched);
  EXPECT_EQ(inputs[1].label, "bars");  // the id when there is no label
  EXPECT_FALSE(inputs[1].watched);
  EXPECT_EQ(inputs[0].state, InputState::Running);
}

TEST_F(InputSupervisorTest, AStallThatEndsBeforeTheRebuildNeedsNone) {
  supervisor.onLost("hall", "no frames", false);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].state, InputState::Stalled);
  EXPECT_EQ(reports[0].losses, 1);
  EXPECT_EQ(reports[0].lastReason, "no frames");
  supervisor.onLost("hall", "no frames", false);  // nothing new: not told again
  EXPECT_EQ(reports.size(), 1u);
  supervisor.onBack("hall");
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[1].state, InputState::Running);
  runFor(1500ms);  // the rebuild that was due is cancelled
  EXPECT_EQ(supervisor.inputs()[0].restarts, 0);
  EXPECT_TRUE(losses.empty());
  supervisor.onLost("bars", "?", true);  // a generated source is not watched
  EXPECT_EQ(reports.size(), 2u);
}

TEST_F(InputSupervisorTest, ALostInputIsRebuiltAfterASecondAndAgainIfThatFails) {
  supervisor.onLost("hall", "end of stream", true);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].state, InputState::Retrying);
  runFor(700ms);
  EXPECT_EQ(supervisor.inputs()[0].restarts, 0);  // not before 1 s
  runFor(600ms);
  const auto after = supervisor.inputs()[0];
  EXPECT_EQ(after.restarts, 1);
  EXPECT_EQ(after.state, InputState::Retrying);
  EXPECT_NE(after.lastReason.find("source hall"), std::string::npos) << after.lastReason;
  EXPECT_EQ(after.losses, 1);  // one loss, however many rebuilds
  // The next try waits 1.5 s.
  runFor(800ms);
  EXPECT_EQ(supervisor.inputs()[0].restarts, 1);
  runFor(800ms);
  EXPECT_EQ(supervisor.inputs()[0].restarts, 2);
}

TEST_F(InputSupervisorTest, NoRebuildOnceThePictureIsBackOrAfterStop) {
  stillLost = false;  // frames came back before the mixer said so
  supervisor.onLost("hall", "no frames", true);
  runFor(1300ms);
  EXPECT_EQ(supervisor.inputs()[0].restarts, 0);
  stillLost = true;
  supervisor.onLost("hall", "again", true);
  supervisor.stop();
  runFor(1700ms);
  EXPECT_EQ(supervisor.inputs()[0].restarts, 0);
}

}  // namespace
}  // namespace ceremony::media
