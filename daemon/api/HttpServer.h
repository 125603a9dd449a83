#pragma once
// The daemon's HTTP/1.1 server (Boost.Beast) on the io_context that owns the state: every
// request is answered by one synchronous handler call on that thread, so the handler reads
// domain state without locks (DESIGN.md principle 1). Each connection has a read timeout, a
// header and a body limit; keep-alive is honoured. A handler may turn a GET into a
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
  std::string remote = {};  // the client's address ("127.0.0.1"), for the bridge's sessions
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
  std::function<void(HttpReply)> deferred = nullptr;
};

struct HttpLimits {
  std::chrono::milliseconds readTimeout{10000};  // a whole request, headers and body
  std::chrono::milliseconds idleTimeout{30000};  // keep-alive wait for the next request
  std::chrono::milliseconds writeTimeout{10000};
  std::size_t headerLimit = 8 * 1024;
  std::size_t bodyLimit = 64 * 1024;
  std::size_t maxConnections = 1024;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer(boost::asio::io_context& io, Handler handler, HttpLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; "127.0.0.1", port 0 picks a free port. False + a sentence.
  bool listen(const std::string& address, std::uint16_t port, std::string* error);
  std::uint16_t port() const;
  std::string endpoint() const;  // "127.0.0.1:8080"
  // Stops accepting and closes every connection.
  void stop();

  std::size_t connections() const;

  struct Shared;  // what connections share with the server (outlives it if needed)

 private:
  void accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace ceremony::api
