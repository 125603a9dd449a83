// The destinations' reconnect policy without a pipeline: a fake host records what is opened
// and closed, a ManualClock decides when a retry is due, and the io_context runs for a few
// tens of milliseconds at a time (the knock every 10 ms here instead of 500).
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <map>

#include "pipelines/outputs/OutputSupervisor.h"

namespace ceremony::media {
namespace {

using namespace std::chrono_literals;
using Outcome = OutputSupervisor::StartOutcome;

class FakeHost final : public OutputHost {
 public:
  bool openOutput(const Destination& d, std::string* error) override {
    ++opens[d.config.id];
    if (failOpen) {
      *error = "cannot open";
      return false;
    }
    OutputStatus st;
    st.id = d.config.id;
    st.kind = d.config.kind;
    st.state = OutputState::Connecting;
    st.destination = "shown:" + d.config.id;
    open[d.config.id] = st;
    return true;
  }
  bool closeOutput(const std::string& id) override {
    ++closes[id];
    return open.erase(id) > 0;
  }
  std::vector<OutputStatus> openOutputs() const override {
    std::vector<OutputStatus> list;
    for (const auto& [id, st] : open) list.push_back(st);
    return list;
  }

  std::map<std::string, OutputStatus> open;
  std::map<std::string, int> opens, closes;
  bool failOpen = false;
};

Destination rtmp(const std::string& id, const std::string& url) {
  Destination d;
  d.config.id = id;
  d.config.kind = OutputKind::Rtmp;
  d.config.url = url;
  d.safeDestination = "safe:" + id;
  return d;
}

Destination recording(const std::string& id) {
  Destination d;
  d.config.id = id;
  d.config.kind = OutputKind::Record;
  d.config.directory = "/tmp";
  d.safeDestination = "/tmp";
  return d;
}

// A host name is not knocked on: the backoff alone decides.
constexpr const char* kNamedIngest = "rtmp://ingest.invalid/live";

class OutputSupervisorTest : public ::testing::Test {
 protected:
  OutputSupervisorTest() : outputs(io, clock, host, {Millis(2000), Millis(30000), Millis(10)}) {}

  void run(std::chrono::milliseconds d = 40ms) {
    io.restart();
    io.run_for(d);
  }
  // Runs the loop until `id` has been opened `times` times (2 s at most: a loaded machine).
  void runUntilOpened(const std::string& id, int times) {
    for (int i = 0; i < 100 && host.opens[id] < times; ++i) run(20ms);
  }
  // What the destination's pipeline says, as ProgramMixer would pass it on.
  void report(const std::string& id, OutputState state, const std::string& detail = {}) {
    if (host.open.count(id)) host.open[id].state = state;
    outputs.onOutputState(id, state, detail);
  }
  // `id` is opened again once `wait` has passed, not a millisecond before.
  void expectReopenedAfter(const std::string& id, Millis wait) {
    const int before = host.opens[id];
    clock.advance(wait - Millis(1));
    run();
    EXPECT_EQ(host.opens[id], before) << "not before " << wait.count() << " ms";
    clock.advance(Millis(1));
    runUntilOpened(id, before + 1);
    EXPECT_EQ(host.opens[id], before + 1);
  }
  void startRecordingAndStream() {
    outputs.add(recording("rec"));
    outputs.add(rtmp("fb", kNamedIngest));
    outputs.start("rec");
    outputs.start("fb");
  }
  const DestinationStatus& statusOf(const std::string& id) {
    shown = outputs.status();
    for (const auto& d : shown)
      if (d.destination->config.id == id) return d;
    throw std::runtime_error("no " + id);
  }

  boost::asio::io_context io;
  ManualClock clock{WallTime{} + std::chrono::hours(1000)};
  FakeHost host;
  OutputSupervisor outputs;
  std::vector<DestinationStatus> shown;
};

TEST_F(OutputSupervisorTest, AFailureIsRetriedAfterTheBackoff) {
  outputs.add(rtmp("fb", kNamedIngest));
  ASSERT_EQ(outputs.start("fb"), Outcome::Started);
  report("fb", OutputState::Failed, "server gone");
  EXPECT_EQ(statusOf("fb").state, "reconnecting");
  EXPECT_EQ(statusOf("fb").lastError, "server gone");
  expectReopenedAfter("fb", Millis(2000));
  EXPECT_EQ(host.closes["fb"], 1);
  EXPECT_EQ(host.opens["fb"], 2);
  EXPECT_EQ(statusOf("fb").state, "connecting");
  EXPECT_EQ(statusOf("fb").reconnects, 1);
  EXPECT_EQ(statusOf("fb").lastError, "server gone") << "kept until live";

  // The second failure in a row waits 2 s × 1.5.
  report("fb", OutputState::Failed, "still gone");
  expectReopenedAfter("fb", Millis(3000));
  EXPECT_EQ(statusOf("fb").reconnects, 2);

  // Live again: the error goes and the next failure starts from 2 s.
  report("fb", OutputState::Live);
  EXPECT_EQ(statusOf("fb").lastError, "");
  report("fb", OutputState::Failed, "again");
  expectReopenedAfter("fb", Millis(2000));
}

TEST_F(OutputSupervisorTest, AnOperatorStopCancelsThePendingRetry) {
  outputs.add(rtmp("fb", kNamedIngest));
  outputs.start("fb");
  report("fb", OutputState::Failed, "server gone");
  EXPECT_TRUE(outputs.stop("fb"));
  EXPECT_FALSE(outputs.running("fb"));
  EXPECT_FALSE(outputs.stop("fb")) << "not running any more";
  clock.advance(Millis(60000));
  run();
  EXPECT_EQ(host.opens["fb"], 1);
  EXPECT_EQ(statusOf("fb").state, "stopped");
  EXPECT_EQ(statusOf("fb").shownDestination, "safe:fb");
  // Started again by the operator: a plain start, not a reconnect in waiting.
  EXPECT_EQ(outputs.start("fb"), Outcome::Started);
  EXPECT_EQ(statusOf("fb").state, "connecting");
  EXPECT_EQ(outputs.start("fb"), Outcome::AlreadyRunning);
}

TEST_F(OutputSupervisorTest, AStartWhileWaitingReconnectsAtOnce) {
  outputs.add(rtmp("fb", kNamedIngest));
  outputs.start("fb");
  report("fb", OutputState::Failed, "server gone");
  EXPECT_EQ(outputs.start("fb"), Outcome::RetriedNow);
  EXPECT_EQ(host.opens["fb"], 2);
  EXPECT_EQ(statusOf("fb").state, "connecting");
  clock.advance(Millis(2000));
  run();
  EXPECT_EQ(host.opens["fb"], 2) << "the earlier wait ended with it";
}

TEST_F(OutputSupervisorTest, AFailedReopenTriesAgainWithALongerWait) {
  outputs.add(rtmp("fb", kNamedIngest));
  outputs.start("fb");
  report("fb", OutputState::Failed, "server gone");
  host.failOpen = true;
  clock.advance(Millis(2000));
  runUntilOpened("fb", 2);
  EXPECT_EQ(host.opens["fb"], 2);
  EXPECT_TRUE(outputs.running("fb")) << "still wanted";
  EXPECT_EQ(outputs.lastError("fb"), "cannot open");
  host.failOpen = false;
  expectReopenedAfter("fb", Millis(3000));
}

TEST_F(OutputSupervisorTest, RecordingsAndAStoppingCeremonyAreNotRetried) {
  startRecordingAndStream();
  report("rec", OutputState::Failed, "disk full");
  EXPECT_EQ(statusOf("rec").state, "failed");
  outputs.shutdown();
  report("fb", OutputState::Failed, "server gone");
  EXPECT_EQ(statusOf("fb").state, "failed");
  clock.advance(Millis(60000));
  run();
  EXPECT_EQ(host.opens["rec"], 1);
  EXPECT_EQ(host.opens["fb"], 1);
}

TEST_F(OutputSupervisorTest, LiveMeansAnRtmpDestinationIsLive) {
  startRecordingAndStream();
  report("rec", OutputState::Live);
  EXPECT_FALSE(outputs.live()) << "a recording alone is not on the air";
  report("fb", OutputState::Live);
  EXPECT_TRUE(outputs.live());
  EXPECT_TRUE(statusOf("fb").live);
  report("fb", OutputState::Failed, "gone");
  EXPECT_FALSE(outputs.live());
  EXPECT_FALSE(statusOf("fb").live);
}

TEST_F(OutputSupervisorTest, TheBitRateComesFromTheBytesOfTheLastSecond) {
  outputs.add(rtmp("fb", kNamedIngest));
  outputs.add(rtmp("yt", kNamedIngest));
  outputs.start("fb");
  host.open["fb"].bytes = 1000;
  outputs.sample();
  EXPECT_EQ(statusOf("fb").kbps, 0) << "one count is no rate";
  host.open["fb"].bytes = 126000;
  outputs.sample();
  EXPECT_EQ(statusOf("fb").kbps, 1000);
  EXPECT_EQ(statusOf("fb").bytes, 126000u);
  EXPECT_EQ(statusOf("fb").shownDestination, "shown:fb");
  EXPECT_EQ(statusOf("yt").kbps, 0);
  EXPECT_EQ(statusOf("yt").state, "stopped");
  EXPECT_EQ(outputs.start("nobody"), Outcome::Unknown);
}

TEST_F(OutputSupervisorTest, AKnockOnTheIngestReconnectsOnceTheServerIsBack) {
  boost::asio::ip::tcp::acceptor server(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = server.local_endpoint().port();
  server.close();  // the server went away
  outputs.add(rtmp("fb", "rtmp://127.0.0.1:" + std::to_string(port) + "/live"));
  outputs.start("fb");
  report("fb", OutputState::Failed, "server gone");
  run(60ms);
  EXPECT_EQ(host.opens["fb"], 1) << "the port is closed";
  boost::asio::ip::tcp::acceptor back(io);
  back.open(boost::asio::ip::tcp::v4());
  back.set_option(boost::asio::socket_base::reuse_address(true));
  back.bind({boost::asio::ip::make_address("127.0.0.1"), port});
  back.listen();
  runUntilOpened("fb", 2);
  EXPECT_EQ(host.opens["fb"], 2) << "before the 2 s backoff (the clock did not move)";
}

}  // namespace
}  // namespace ceremony::media
