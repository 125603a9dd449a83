#include "health/net/Probes.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "config/Secrets.h"

namespace ceremony::health {

namespace asio = boost::asio;
using asio::ip::tcp;

// ---- heartbeats ---------------------------------------------------------------------

void HeartbeatTracker::expect(const std::string& pointId, std::string token) {
  points_[pointId] = Expected{std::move(token), clock_.now(), std::nullopt};
}

HeartbeatTracker::Outcome HeartbeatTracker::onHeartbeat(std::string_view pointId,
                                                        std::string_view token) {
  auto it = points_.find(pointId);
  if (it == points_.end()) return Outcome::UnknownPoint;
  // An empty expected token (unreadable token file) never matches anything.
  if (it->second.token.empty() || !sameSecret(it->second.token, token)) return Outcome::BadToken;
  it->second.last = clock_.now();
  return Outcome::Accepted;
}

std::optional<WallTime> HeartbeatTracker::lastHeartbeat(const std::string& pointId) const {
  auto it = points_.find(pointId);
  if (it == points_.end()) return std::nullopt;
  return it->second.last;
}

std::optional<WallTime> HeartbeatTracker::lastSign(const std::string& pointId) const {
  auto it = points_.find(pointId);
  if (it == points_.end()) return std::nullopt;
  return it->second.last.value_or(it->second.since);
}

namespace {

ProbeResult resultFor(const PointConfig& point, const ProbeSpec& spec, const Clock& clock) {
  ProbeResult r;
  r.pointId = point.id;
  r.probe = spec.name.empty() ? spec.kind : spec.name;
  r.at = clock.now();
  return r;
}

Millis toMillis(Micros us) {
  return std::chrono::duration_cast<Millis>(us);
}

// The one strict reader every token goes through (config/Secrets.h): "" when it cannot be
// read (the config check has warned of it).
std::string readToken(const std::string& path) {
  return readSecret(path, "", "point token", nullptr).value_or("");
}

std::string connectFailure(int osErrno, const std::string& fallback) {
  switch (osErrno) {
    case ECONNREFUSED:
      return "connection refused";
    case EHOSTUNREACH:
      return "host unreachable";
    case ENETUNREACH:
      return "network unreachable";
    case ECONNRESET:
      return "connection reset";
    default:
      return fallback;
  }
}

// ---- http / https -------------------------------------------------------------------

class HttpProbe final : public Probe {
 public:
  HttpProbe(const PointConfig& point, const ProbeSpec& spec, ProbeContext& context)
      : point_(point), spec_(spec), context_(context) {
    HttpRequest request;
    request.url = spec_.url;
    request.connectTimeout = spec_.connectTimeout;
    request.timeout = spec_.timeout;
    request.verifyTls = spec_.verifyTls;
    // The point is asked every few seconds: a kept-alive connection makes a probe one
    // request instead of a handshake (a dead line still fails it: no answer in time).
    request.reuseConnection = true;
    if (auto ca = spec_.params.find("ca_file"); ca != spec_.params.end())
      request.caFile = ca->second;
    // The same request every round: one curl handle for the probe's life.
    request_ = context_.curl.prepare(std::move(request));
  }
  ~HttpProbe() override { context_.curl.release(request_); }
  bool restsWhileDown() const override { return true; }

  void run(Done done) override {
    done_ = std::move(done);
    // Only `this` in the completion: it fits std::function without an allocation.
    context_.curl.run(request_, [this](const HttpResponse& response) { answered(response); });
  }

 private:
  void answered(const HttpResponse& response) {
    ProbeResult r = resultFor(point_, spec_, context_.clock);
    r.httpStatus = static_cast<int>(response.status);
    r.latency = toMillis(response.total);
    if (response.connect) r.connect = toMillis(*response.connect);
    if (response.tls) r.tls = toMillis(*response.tls);
    if (response.firstByte) r.firstByte = toMillis(*response.firstByte);
    r.reason = httpVerdict(spec_, response);
    r.ok = r.reason.empty();
    Done done = std::move(done_);
    done_ = nullptr;
    done(std::move(r));
  }

  PointConfig point_;
  ProbeSpec spec_;
  ProbeContext& context_;
  CurlMulti::RequestId request_ = 0;
  Done done_;
};

// ---- tcp ----------------------------------------------------------------------------

class TcpProbe final : public Probe {
 public:
  TcpProbe(const PointConfig& point, const ProbeSpec& spec, ProbeContext& context)
      : point_(point), spec_(spec), context_(context) {
    boost::system::error_code ec;
    address_ = asio::ip::make_address(spec_.host, ec);
    addressOk_ = !ec;
  }
  ~TcpProbe() override {
    if (attempt_) attempt_->abandon();
  }
  bool restsWhileDown() const override { return true; }

  void run(Done done) override {
    // One attempt object for the probe's life, its socket reopened and its timer re-armed
    // each run; a run's handlers carry its number, so one left from an earlier run (a
    // connect that came back after its timeout) does nothing.
    if (!attempt_) attempt_ = std::make_shared<Attempt>(*this);
    Attempt& a = *attempt_;
    a.done = std::move(done);
    a.started = std::chrono::steady_clock::now();
    a.finished = false;
    const std::uint64_t run = ++a.run;
    if (!addressOk_) {
      // Host names would need an async resolver; points are addressed by IP on the day.
      asio::post(context_.io, [a = attempt_, run] {
        if (a->current(run)) a->finish("host «" + a->probe->spec_.host + "» is not an IP address");
      });
      return;
    }
    a.timer.expires_after(spec_.connectTimeout);
    a.timer.async_wait([a = attempt_, run](const boost::system::error_code& e) {
      if (e || !a->current(run)) return;
      a->finish("connect timeout after " + std::to_string(a->probe->spec_.connectTimeout.count()) +
                " ms");
    });
    a.socket.async_connect(tcp::endpoint(address_, static_cast<unsigned short>(spec_.port)),
                           [a = attempt_, run](const boost::system::error_code& e) {
                             if (!a->current(run)) return;
                             if (!e) return a->finish("");
                             a->finish(connectFailure(e.value(), e.message()));
                           });
  }

 private:
  // Shared with the pending handlers, which may come back after the probe is gone.
  struct Attempt {
    explicit Attempt(TcpProbe& p) : probe(&p), socket(p.context_.io), timer(p.context_.io) {}
    TcpProbe* probe;  // null once the probe is gone: handlers must not touch it
    tcp::socket socket;
    asio::steady_timer timer;
    Done done;
    std::chrono::steady_clock::time_point started;
    std::uint64_t run = 0;
    bool finished = true;

    bool current(std::uint64_t r) const { return probe && !finished && run == r; }

    void finish(std::string reason) {
      finished = true;
      timer.cancel();
      boost::system::error_code ignored;
      // Connected: close with a reset, not FIN and a minute of TIME_WAIT (at 10,000 points
      // a third of them tcp, that is 667 connections a second; the point is told at once).
      if (reason.empty()) socket.set_option(asio::socket_base::linger(true, 0), ignored);
      socket.close(ignored);
      ProbeResult r = resultFor(probe->point_, probe->spec_, probe->context_.clock);
      r.latency = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
      r.ok = reason.empty();
      if (r.ok) r.connect = r.latency;
      r.reason = std::move(reason);
      Done d = std::move(done);
      done = nullptr;
      d(std::move(r));
    }

    void abandon() {
      probe = nullptr;
      done = nullptr;
      timer.cancel();
      boost::system::error_code ignored;
      socket.close(ignored);
    }
  };

  PointConfig point_;
  ProbeSpec spec_;
  ProbeContext& context_;
  asio::ip::address address_;
  bool addressOk_ = false;
  std::shared_ptr<Attempt> attempt_;
};

// ---- probes judged from what the daemon already knows (heartbeat, bridge) --------------

// A probe whose verdict needs no I/O: judged when run, reported from the io_context so that
// run() never calls back synchronously.
class JudgedProbe : public Probe {
 public:
  ~JudgedProbe() override { *alive_ = false; }
  void run(Done done) final {
    std::optional<ProbeResult> verdict = judge();
    asio::post(io_,
               [alive = alive_, verdict = std::move(verdict), done = std::move(done)]() mutable {
                 if (*alive) done(std::move(verdict));
               });
  }

 protected:
  explicit JudgedProbe(asio::io_context& io) : io_(io) {}
  // nullopt: nothing to judge yet.
  virtual std::optional<ProbeResult> judge() const = 0;

 private:
  asio::io_context& io_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// ---- heartbeat ----------------------------------------------------------------------

class HeartbeatProbe final : public JudgedProbe {
 public:
  HeartbeatProbe(const PointConfig& point, const ProbeSpec& spec, ProbeContext& context)
      : JudgedProbe(context.io), point_(point), spec_(spec), context_(context) {
    std::string token = readToken(spec_.tokenFile);
    tokenReadable_ = !token.empty();
    context_.heartbeats.expect(point_.id, std::move(token));
  }

 private:
  std::optional<ProbeResult> judge() const override {
    ProbeResult r = resultFor(point_, spec_, context_.clock);
    if (!tokenReadable_) {
      r.reason = "heartbeat token file unreadable or empty";
      return r;
    }
    const auto last = context_.heartbeats.lastHeartbeat(point_.id);
    const auto sign = context_.heartbeats.lastSign(point_.id).value_or(r.at);
    const Millis quiet = r.at - sign;
    if (quiet < spec_.heartbeatTimeout) {
      if (!last) return std::nullopt;  // still in the first grace period
      r.ok = true;
      return r;
    }
    // Whole seconds, rounded, at least 1: "no heartbeat for 30 s".
    const auto seconds = std::max<long long>(
        1, std::chrono::duration_cast<std::chrono::seconds>(quiet + Millis(500)).count());
    r.reason = "no heartbeat for " + std::to_string(seconds) + " s";
    return r;
  }

  PointConfig point_;
  ProbeSpec spec_;
  ProbeContext& context_;
  bool tokenReadable_ = false;
};

// ---- bridge -------------------------------------------------------------------------

class BridgeProbe final : public JudgedProbe {
 public:
  BridgeProbe(const PointConfig& point, const ProbeSpec& spec, ProbeContext& context)
      : JudgedProbe(context.io), point_(point), spec_(spec), context_(context) {
    if (context_.bridge) context_.bridge->expect(point_.id);
  }

 private:
  std::optional<ProbeResult> judge() const override {
    ProbeResult r = resultFor(point_, spec_, context_.clock);
    if (!context_.bridge) {
      r.reason = "the video bridge is off ([bridge] enabled = false)";
      return r;
    }
    const BridgeVerdict v = judgeBridge(*context_.bridge, point_.id, spec_.heartbeatTimeout, {});
    if (!v.judged) return std::nullopt;
    r.ok = v.ok;
    r.latency = v.latency;
    r.slow = v.degraded;
    if (v.ok)
      r.slowReason = v.reason;
    else
      r.reason = v.reason;
    return r;
  }

  PointConfig point_;
  ProbeSpec spec_;
  ProbeContext& context_;
};

}  // namespace

std::string httpVerdict(const ProbeSpec& spec, const HttpResponse& response) {
  const auto ms = [](Millis m) { return std::to_string(m.count()) + " ms"; };
  switch (response.code) {
    case CURLE_OK:
      break;
    case CURLE_OPERATION_TIMEDOUT:
      // No connect time on a kept-alive connection either: that one was connected.
      if (!response.connect && response.newConnection)
        return "connect timeout after " + ms(spec.connectTimeout);
      if (!response.firstByte) return "no answer within " + ms(spec.timeout);
      return "response incomplete after " + ms(spec.timeout);
    case CURLE_COULDNT_CONNECT:
      return connectFailure(response.osErrno, "cannot connect");
    case CURLE_COULDNT_RESOLVE_HOST:
      return "host name not found";
    case CURLE_GOT_NOTHING:
      return "connection closed without an answer";
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return connectFailure(response.osErrno, "connection broken");
    case CURLE_PEER_FAILED_VERIFICATION:
      return "TLS certificate rejected";
    case CURLE_SSL_CONNECT_ERROR:
      return "TLS handshake failed";
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return "bad probe URL";
    default:
      return response.error.empty() ? curl_easy_strerror(response.code) : response.error;
  }
  const long s = response.status;
  const bool statusOk = spec.expectStatus == 0 ? (s >= 200 && s < 400) : s == spec.expectStatus;
  if (!statusOk) return "HTTP " + std::to_string(s);
  if (!spec.bodyKeyword.empty() && response.body.find(spec.bodyKeyword) == std::string::npos)
    return "keyword «" + spec.bodyKeyword + "» not found";
  return {};
}

// ---- the registry -------------------------------------------------------------------

void ProbeKinds::add(std::string kind, ProbeFactory factory) {
  factories_[std::move(kind)] = std::move(factory);
}

bool ProbeKinds::has(std::string_view kind) const {
  return factories_.count(kind) != 0;
}

std::vector<std::string> ProbeKinds::kinds() const {
  std::vector<std::string> out;
  for (const auto& [kind, f] : factories_) out.push_back(kind);
  return out;
}

std::unique_ptr<Probe> ProbeKinds::make(const PointConfig& point, const ProbeSpec& spec,
                                        ProbeContext& context) const {
  auto it = factories_.find(spec.kind);
  if (it == factories_.end())
    throw std::invalid_argument("point " + point.id + ": unknown probe kind «" + spec.kind + "»");
  return it->second(point, spec, context);
}

ProbeKinds ProbeKinds::builtin() {
  ProbeKinds kinds;
  auto http = [](const PointConfig& p, const ProbeSpec& s, ProbeContext& c) {
    return std::unique_ptr<Probe>(std::make_unique<HttpProbe>(p, s, c));
  };
  kinds.add("http", http);
  kinds.add("https", http);
  kinds.add("tcp", [](const PointConfig& p, const ProbeSpec& s, ProbeContext& c) {
    return std::unique_ptr<Probe>(std::make_unique<TcpProbe>(p, s, c));
  });
  kinds.add("heartbeat", [](const PointConfig& p, const ProbeSpec& s, ProbeContext& c) {
    return std::unique_ptr<Probe>(std::make_unique<HeartbeatProbe>(p, s, c));
  });
  kinds.add("bridge", [](const PointConfig& p, const ProbeSpec& s, ProbeContext& c) {
    return std::unique_ptr<Probe>(std::make_unique<BridgeProbe>(p, s, c));
  });
  return kinds;
}

}  // namespace ceremony::health
