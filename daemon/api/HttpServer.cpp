#include "api/HttpServer.h"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "api/LiveFeed.h"

namespace ceremony::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;

std::string errorBody(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump();
}

}  // namespace

struct HttpServer::Shared {
  Shared(HttpServer::Handler h, HttpLimits l) : handler(std::move(h)), limits(l) {}
  HttpServer::Handler handler;
  HttpLimits limits;
  std::map<void*, std::weak_ptr<Session>> sessions;
  bool stopped = false;
};

namespace {

class Session final : public std::enable_shared_from_this<Session>, public LiveFeed::Subscriber {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)), ping_(stream_.get_executor()) {}
  ~Session() override {
    if (feed_) feed_->unsubscribe(this);
    shared_->sessions.erase(this);
  }

  void start() { read(shared_->limits.readTimeout); }

  void close() {
    if (closed_) return;
    closed_ = true;
    if (feed_) {
      feed_->unsubscribe(this);
      feed_ = nullptr;
    }
    ping_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  void onTopic(const std::string& topic) override {
    dirty_.insert(topic);
    flush();
  }

 private:
  void read(std::chrono::milliseconds timeout) {
    if (closed_) return;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->limits.headerLimit));
    parser_->body_limit(shared_->limits.bodyLimit);
    stream_.expires_after(timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (closed_) return;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::eof ||
        ec == asio::error::connection_reset)
      return close();
    if (ec == http::error::body_limit)
      return fail(413, "the request body is larger than " +
                           std::to_string(shared_->limits.bodyLimit) + " bytes");
    if (ec == http::error::header_limit) return fail(431, "the request headers are too large");
    if (ec && ec.category() == beast::error_code(http::error::end_of_stream).category())
      return fail(400, "malformed HTTP request: " + ec.message());
    if (ec) return close();

    const auto& req = parser_->get();
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    if (auto it = req.find(http::field::authorization); it != req.end())
      r.authorization = std::string(it->value());
    if (auto it = req.find(http::field::content_type); it != req.end())
      r.contentType = std::string(it->value());
    r.body = req.body();
    {
      beast::error_code ignored;
      const auto peer = stream_.socket().remote_endpoint(ignored);
      if (!ignored) r.remote = peer.address().to_string();
    }
    const bool keepAlive = req.keep_alive();

    HttpResponse res;
    try {
      res = shared_->handler(r);
    } catch (const std::exception& e) {
      spdlog::error("API: lỗi nội bộ khi xử lý {} {}: {}", r.method, pathOnly(r.target), e.what());
      res = HttpResponse{500, "application/json; charset=utf-8", errorBody("internal error"), {}};
    }
    if (res.eventStream && res.status == 200) return startStream(res);
    if (res.deferred) {
      // Nothing is read meanwhile: the reply comes before the next request is parsed.
      stream_.expires_never();
      auto later = std::move(res.deferred);
      later([self = shared_from_this(), keepAlive](HttpResponse r) {
        if (!self->closed_) self->write(std::move(r), keepAlive);
      });
      return;
    }
    write(std::move(res), keepAlive, req.method() == http::verb::head);
  }

  static std::string pathOnly(const std::string& target) {
    return target.substr(0, target.find('?'));  // a query may carry a token: never logged
  }

  void fail(int status, const std::string& message) {
    write(HttpResponse{status, "application/json; charset=utf-8", errorBody(message), {}}, false);
  }

  void write(HttpResponse r, bool keepAlive, bool headOnly = false) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "ceremonyd");
    res->set(http::field::content_type, r.contentType);
    bool cacheSet = false;
    for (const auto& [k, v] : r.headers) {
      res->set(k, v);
      if (beast::iequals(k, "Cache-Control")) cacheSet = true;
    }
    if (!cacheSet) res->set(http::field::cache_control, "no-store");
    res->keep_alive(keepAlive);
    res->body() = std::move(r.body);
    res->prepare_payload();
    if (headOnly) res->body().clear();  // HEAD: the GET's headers (Content-Length too), no body
    stream_.expires_after(shared_->limits.writeTimeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keepAlive](beast::error_code ec, std::size_t) {
          if (ec || !keepAlive) return self->close();
          self->read(self->shared_->limits.idleTimeout);
        });
  }

  // ---- Server-Sent Events -------------------------------------------------------------
  void startStream(const HttpResponse& r) {
    feed_ = r.eventStream;
    out_ =
        "HTTP/1.1 200 OK\r\nServer: ceremonyd\r\nContent-Type: text/event-stream; "
        "charset=utf-8\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n"
        "X-Accel-Buffering: no\r\n\r\nretry: 1000\n\n";
    writing_ = true;
    stream_.expires_after(shared_->limits.writeTimeout);
    asio::async_write(stream_, asio::buffer(out_),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec || self->closed_) return self->close();
                        // The snapshot: every topic's latest state.
                        for (const auto& [topic, data] : self->feed_->latest())
                          self->dirty_.insert(topic);
                        self->feed_->subscribe(self.get());
                        self->watchForClose();
                        self->ping();
                        self->flush();
                      });
  }

  void flush() {
    if (writing_ || closed_ || !feed_ || dirty_.empty()) return;
    out_.clear();
    for (const auto& topic : dirty_) {
      auto it = feed_->latest().find(topic);
      if (it != feed_->latest().end()) out_ += LiveFeed::frame(topic, it->second);
    }
    dirty_.clear();
    send();
  }

  void send() {
    writing_ = true;
    stream_.expires_after(shared_->limits.writeTimeout);
    asio::async_write(stream_, asio::buffer(out_),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->close();
                        self->flush();
                      });
  }

  // A comment line now and then keeps proxies open and finds clients that went away.
  void ping() {
    ping_.expires_after(std::chrono::seconds(15));
    ping_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (!self->writing_) {
        self->out_ = ": ping\n\n";
        self->send();
      }
      self->ping();
    });
  }

  // The client sends nothing on an event stream; a read completes only when it leaves.
  void watchForClose() {
    stream_.expires_never();
    stream_.async_read_some(asio::buffer(sink_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->watchForClose();
                            });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<HttpServer::Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  LiveFeed* feed_ = nullptr;
  std::set<std::string> dirty_;
  std::string out_;
  char sink_[256];
  bool writing_ = false;
  bool closed_ = false;
  asio::steady_timer ping_;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, Handler handler, HttpLimits limits)
    : io_(io), acceptor_(io), shared_(std::make_shared<Shared>(std::move(handler), limits)) {}

HttpServer::~HttpServer() {
  stop();
}

bool HttpServer::listen(const std::string& address, std::uint16_t port, std::string* error) {
  beast::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) {
    *error = "«" + address + "» is not an IP address";
    return false;
  }
  const tcp::endpoint ep(ip, port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message();
    beast::error_code ignored;
    acceptor_.close(ignored);
    return false;
  }
  accept();
  return true;
}

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::string HttpServer::endpoint() const {
  beast::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  if (ec) return {};
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

std::size_t HttpServer::connections() const {
  return shared_->sessions.size();
}

void HttpServer::accept() {
  acceptor_.async_accept([this, shared = shared_](beast::error_code ec, tcp::socket socket) {
    if (shared->stopped) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors and the like: try again shortly rather than spin.
      spdlog::warn("API: không nhận được kết nối: {}", ec.message());
      auto t = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      t->async_wait([this, t, shared](beast::error_code) {
        if (!shared->stopped) accept();
      });
      return;
    }
    if (shared->sessions.size() >= shared->limits.maxConnections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      auto s = std::make_shared<Session>(std::move(socket), shared);
      shared->sessions[s.get()] = s;
      s->start();
    }
    accept();
  });
}

void HttpServer::stop() {
  if (shared_->stopped) return;
  shared_->stopped = true;
  beast::error_code ec;
  acceptor_.close(ec);
  std::vector<std::shared_ptr<Session>> live;
  for (auto& [p, w] : shared_->sessions)
    if (auto s = w.lock()) live.push_back(std::move(s));
  for (auto& s : live) s->close();
}

}  // namespace ceremony::api
