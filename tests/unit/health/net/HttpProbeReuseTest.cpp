// An http probe keeps one curl handle for its whole life (CurlMulti::prepare / run): the
// handle used again must judge each run afresh. A point that starts hanging fails within
// the probe's timeout, every time; a point that answers again is good again at once.
// The point is a tiny HTTP server on 127.0.0.1 in the test's own io_context.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/Clock.h"
#include "health/net/CurlMulti.h"
#include "health/net/Probes.h"

namespace ceremony::health {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// Answers "200 ok" on kept-alive connections, or, while `hang` is set, reads the request
// and never answers (a point behind a dead line that still accepts).
class TinyPoint {
 public:
  explicit TinyPoint(asio::io_context& io)
      : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  bool hang = false;
  int connections = 0;
  // Closes every connection it holds (a point's web server restarting, or dropping idle ones).
  void dropAll() {
    for (auto& session : sessions_) {
      boost::system::error_code ignored;
      session->socket.close(ignored);
    }
    sessions_.clear();
  }

 private:
  struct Session {
    explicit Session(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    asio::streambuf in;
  };

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      ++connections;
      auto session = std::make_shared<Session>(std::move(s));
      sessions_.push_back(session);
      read(session);
      accept();
    });
  }

  void read(const std::shared_ptr<Session>& s) {
    asio::async_read_until(
        s->socket, s->in, "\r\n\r\n", [this, s](boost::system::error_code ec, std::size_t n) {
          if (ec) return;
          s->in.consume(n);
          if (hang) return;  // keep the connection, say nothing
          static const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
          asio::async_write(s->socket, asio::buffer(answer),
                            [this, s](boost::system::error_code e, std::size_t) {
                              if (!e) read(s);
                            });
        });
  }

  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Session>> sessions_;
};

template <class Done>
bool runUntil(asio::io_context& io, std::chrono::milliseconds limit, Done done) {
  const auto deadline = Steady::now() + limit;
  while (!done() && Steady::now() < deadline) {
    io.restart();
    io.run_for(5ms);
  }
  return done();
}

class HttpProbeReuseTest : public ::testing::Test {
 protected:
  asio::io_context io;
  SystemClock clock;
  CurlMulti curl{io};
  HeartbeatTracker heartbeats{clock};
  ProbeContext context{io, curl, heartbeats, clock};
  TinyPoint point{io};

  std::unique_ptr<Probe> makeProbe() {
    ProbeSpec spec;
    spec.name = "http";
    spec.kind = "http";
    spec.url = "http://127.0.0.1:" + std::to_string(point.port()) + "/health";
    spec.connectTimeout = 300ms;
    spec.timeout = 300ms;
    spec.bodyKeyword = "ok";
    PointConfig p;
    p.id = "nghia-hanh";
    p.probes = {spec};
    return ProbeKinds::builtin().make(p, spec, context);
  }

  // One run of the probe: its result and how long it took (nullopt: no answer in 3 s).
  struct Outcome {
    std::optional<ProbeResult> result;
    Steady::duration took{};
  };
  Outcome runOnce(Probe& probe) {
    Outcome o;
    bool answered = false;
    const auto started = Steady::now();
    probe.run([&](std::optional<ProbeResult> r) {
      o.result = std::move(r);
      o.took = Steady::now() - started;
      answered = true;
    });
    runUntil(io, 3s, [&] { return answered; });
    return o;
  }
};

TEST_F(HttpProbeReuseTest, OneHandleReusedJudgesEveryRunAfresh) {
  auto probe = makeProbe();
  EXPECT_EQ(curl.prepared(), 1u) << "the probe's handle is made once, with the probe";

  for (int i = 0; i < 3; ++i) {
    const Outcome o = runOnce(*probe);
    ASSERT_TRUE(o.result) << "run " << i << " never answered";
    EXPECT_TRUE(o.result->ok) << "run " << i << ": " << o.result->reason;
  }
  EXPECT_EQ(point.connections, 1) << "three runs on one kept-alive connection";

  point.hang = true;
  for (int i = 0; i < 3; ++i) {
    const Outcome o = runOnce(*probe);
    ASSERT_TRUE(o.result) << "hanging run " << i << " never answered";
    EXPECT_FALSE(o.result->ok) << "hanging run " << i << " called good";
    EXPECT_EQ(o.result->reason, "no answer within 300 ms") << "hanging run " << i;
    // The timeout counts from each run, not from the handle's first one.
    EXPECT_GE(o.took, 280ms) << "hanging run " << i;
    EXPECT_LT(o.took, 1500ms) << "hanging run " << i;
  }

  point.hang = false;
  for (int i = 0; i < 2; ++i) {
    const Outcome o = runOnce(*probe);
    ASSERT_TRUE(o.result) << "recovered run " << i << " never answered";
    EXPECT_TRUE(o.result->ok) << "recovered run " << i << ": " << o.result->reason;
    EXPECT_EQ(o.result->httpStatus, 200);
  }
  EXPECT_EQ(curl.running(), 0u);
  EXPECT_EQ(curl.prepared(), 1u) << "still the one handle";
}

// The socket of a kept-alive connection stays registered with the loop between runs
// (CurlMulti::restingSockets); when the point closes it, curl closes it too and opens another,
// which the kernel usually gives the same descriptor number: that one must be watched afresh,
// or the run would wait on a socket the loop no longer hears (or close the new one).
TEST_F(HttpProbeReuseTest, AKeptConnectionRestsBetweenRunsAndOneThePointClosedIsReplaced) {
  auto probe = makeProbe();
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 2; ++i) {
      const Outcome o = runOnce(*probe);
      ASSERT_TRUE(o.result) << "round " << round << " run " << i << " never answered";
      EXPECT_TRUE(o.result->ok) << "round " << round << " run " << i << ": " << o.result->reason;
      EXPECT_LT(o.took, 250ms) << "round " << round << " run " << i;
      EXPECT_EQ(curl.watchedSockets(), 0u) << "no transfer running, nothing waited on";
      EXPECT_EQ(curl.restingSockets(), 1u) << "the kept connection's socket rests";
    }
    EXPECT_EQ(point.connections, round + 1) << "one connection per round, kept for its runs";
    point.dropAll();
    runUntil(io, 50ms, [] { return false; });  // the point's FIN arrives
  }
  probe.reset();
  EXPECT_EQ(curl.prepared(), 0u);
}

TEST_F(HttpProbeReuseTest, ARunningProbeDestroyedNeverAnswersAndFreesItsHandle) {
  point.hang = true;
  auto probe = makeProbe();
  bool answered = false;
  probe->run([&](std::optional<ProbeResult>) { answered = true; });
  runUntil(io, 100ms, [] { return false; });
  EXPECT_EQ(curl.running(), 1u);
  probe.reset();
  EXPECT_EQ(curl.running(), 0u);
  EXPECT_EQ(curl.prepared(), 0u);
  runUntil(io, 500ms, [] { return false; });
  EXPECT_FALSE(answered);
}

TEST_F(HttpProbeReuseTest, APreparedRequestRunsOnlyOnceAtATime) {
  HttpRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(point.port()) + "/";
  r.timeout = 1000ms;
  const auto id = curl.prepare(r);
  int answers = 0;
  EXPECT_TRUE(curl.run(id, [&](const HttpResponse&) { ++answers; }));
  EXPECT_FALSE(curl.run(id, [&](const HttpResponse&) { ++answers; })) << "still running";
  ASSERT_TRUE(runUntil(io, 3s, [&] { return answers == 1; }));
  EXPECT_TRUE(curl.run(id, [&](const HttpResponse&) { ++answers; })) << "free again";
  ASSERT_TRUE(runUntil(io, 3s, [&] { return answers == 2; }));
  curl.release(id);
  EXPECT_FALSE(curl.run(id, [&](const HttpResponse&) { ++answers; })) << "released";
}

}  // namespace
}  // namespace ceremony::health
