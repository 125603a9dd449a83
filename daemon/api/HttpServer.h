#pragma once
// The daemon's HTTP/1.1 server (Boost.Beast) on the io_context that owns the state: every
// request is answered by one synchronous handler call on that thread, so the handler reads
// domain state without locks (ARCHITECTURE.md, "Threads and who owns what"). Each connection has a
// read timeout, a header and a body limit; keep-alive is honoured. A handler may turn a GET into a
// Server-Sent Events stream fed by a LiveFeed.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ceremony::api {

class LiveFeed;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/api/points/p01?x=1"
  std::string authorization;
  std::string contentType;
  std::string body;
  std::string remote = {};     // the client's address ("127.0.0.1"), for the bridge's sessions
  std::string userAgent = {};  // who sent a command, for the journal ("ceremonyctl/1")
};

struct HttpResponse;
// A response given later (a WebRTC answer once its ICE candidates are gathered): the handler
// returns an HttpResponse whose `deferred` is set, and calls the Reply it is handed exactly
// once, on the io_context thread. A reply after the client left is dropped.
using HttpReply = std::function<void(HttpResponse)>;

struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Allow, Cache-Control
  // The connection becomes a Server-Sent Events stream of `feed` (status must be 200).
  LiveFeed* eventStream = nullptr;
  bool wholeLists = false;  // the stream's list topics whole at every change (LiveFeed)
  std::function<void(HttpReply)> deferred = nullptr;
};

struct HttpLimits {
  std::chrono::milliseconds readTimeout{10000};  // a whole request, headers and body
  std::chrono::milliseconds idleTimeout{10000};  // keep-alive wait for the next request
  std::chrono::milliseconds writeTimeout{10000};
  std::size_t headerLimit = 8 * 1024;
  std::size_t bodyLimit = 64 * 1024;
  // Connections at once. Past the total, the connection that has waited longest for its
  // request (an idle keep-alive, a slow or silent client) is closed to make room, so a
  // flood of idle connections never locks out the dashboard, ceremonyctl or a heartbeat;
  // past the per-address cap the newcomer gets 503. 0 = a quarter of the descriptor limit.
  std::size_t maxConnections = 0;
  std::size_t maxPerAddress = 64;
  // Server-Sent Events streams at once (they are never closed to make room), and how long
  // one lasts before the browser is asked to reconnect (EventSource does by itself).
  std::size_t maxStreams = 256;
  std::size_t maxStreamsPerAddress = 16;
  std::chrono::milliseconds streamLifetime{3600 * 1000};
  // With TLS on (setTls): whether a client on this machine (127.0.0.0/8, ::1) may still
  // speak plain HTTP on the same port (ceremonyctl, a local reverse proxy). Anyone else who
  // does gets a 400 saying to use https://.
  bool plainFromLoopback = true;
  // Host names a request may name in its Host header besides IP addresses and "localhost"
  // (lower case). A browser led to the API by another name (DNS rebinding) gets 421.
  std::vector<std::string> serverNames;
};

// What the server turned away, for /metrics.
struct HttpCounters {
  std::uint64_t refusedPerAddress = 0;  // 503: too many connections from one address
  std::uint64_t refusedBusy = 0;        // 503: full, and nobody waiting to close
  std::uint64_t refusedStreams = 0;     // 503: too many event streams
  std::uint64_t evicted = 0;            // closed to make room (waiting longest for a request)
  std::uint64_t acceptErrors = 0;       // accept() failed (out of descriptors and the like)
  std::uint64_t plainRefused = 0;       // 400: plain HTTP from beyond loopback with TLS on
  std::uint64_t handshakeFailed = 0;    // TLS handshakes that did not complete
  std::uint64_t badHost = 0;            // 421: a Host header naming nobody we are
};

// What a certificate says of itself, for the log and /api/status.
struct TlsIdentity {
  std::string subject;   // "CN=truyenhinh.quangngai.gov.vn"
  std::string notAfter;  // "2027-03-01 00:00:00 UTC"
  long long secondsLeft = 0;
  std::string sha256;  // fingerprint, "AB:CD:…"
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer(boost::asio::io_context& io, Handler handler, HttpLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // HTTPS from now on (new connections; open ones keep the context they began with): a PEM
  // certificate chain and its private key. False + a sentence when they do not load or do
  // not belong together; the server then keeps what it had (nothing, or the old pair).
  bool setTls(const std::string& certificateChainPem, const std::string& privateKeyPem,
              TlsIdentity* identity, std::string* error);
  bool tls() const;

  // Binds and starts accepting; "127.0.0.1", port 0 picks a free port. False + a sentence.
  bool listen(const std::string& address, std::uint16_t port, std::string* error);
  std::uint16_t port() const;
  std::string endpoint() const;  // "127.0.0.1:8080"
  // Stops accepting and closes every connection.
  void stop();

  std::size_t connections() const;
  std::size_t streams() const;
  const HttpCounters& counters() const;
  const HttpLimits& limits() const;

  struct Shared;  // what connections share with the server (outlives it if needed)

 private:
  void accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace ceremony::api
