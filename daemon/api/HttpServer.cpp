#include "api/HttpServer.h"

#include <spdlog/spdlog.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/resource.h>
#include <unistd.h>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_map>

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

// One warning now and then instead of one per connection: a flood must not flood the journal.
struct WarnLimiter {
  std::chrono::steady_clock::time_point next{};
  std::uint64_t quiet = 0;  // warnings not written since the last one
  bool due() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next) {
      ++quiet;
      return false;
    }
    next = now + std::chrono::seconds(10);
    return true;
  }
  std::string tail() {
    std::string t =
        quiet ? " (và " + std::to_string(quiet) + " lần như vậy từ cảnh báo trước)" : "";
    quiet = 0;
    return t;
  }
};

}  // namespace

struct HttpServer::Shared {
  Shared(HttpServer::Handler h, HttpLimits l) : handler(std::move(h)), limits(l) {}
  HttpServer::Handler handler;
  HttpLimits limits;
  std::map<void*, std::weak_ptr<Session>> sessions;
  std::size_t open = 0;  // sessions whose socket is still open
  // Open sessions waiting for (the rest of) a request, the longest-waiting first: the ones
  // closed to make room.
  std::list<Session*> waiting;
  std::unordered_map<std::string, std::size_t> perAddress, streamsPerAddress;
  std::size_t streams = 0;
  std::size_t refusing = 0;  // 503s being written
  HttpCounters counters;
  WarnLimiter busyWarn, acceptWarn, plainWarn;
  bool stopped = false;
  // HTTPS: the context new connections take (nullptr: plain HTTP), and the DNS names its
  // certificate is for (which browsers use, so Host may name them).
  std::shared_ptr<asio::ssl::context> tls;
  std::vector<std::string> certificateNames;
  std::string hostName;  // this machine's (gethostname), lower case
};

namespace {

// A connection turned away: a 503 with a sentence, then closed (after reading what the
// client already sent, so the kernel does not reset the answer away). One second at most.
class Refusal final : public std::enable_shared_from_this<Refusal> {
 public:
  Refusal(tcp::socket socket, std::shared_ptr<HttpServer::Shared> shared,
          const std::string& message)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), shared_(std::move(shared)) {
    const std::string body = errorBody(message);
    out_ =
        "HTTP/1.1 503 Service Unavailable\r\nServer: ceremonyd\r\nContent-Type: "
        "application/json; charset=utf-8\r\nRetry-After: 5\r\nCache-Control: no-store\r\n"
        "Connection: close\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    ++shared_->refusing;
  }
  ~Refusal() { --shared_->refusing; }

  void start() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->finish();
    });
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->finish();
                        beast::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                        self->drain();
                      });
  }

 private:
  void drain() {
    socket_.async_read_some(asio::buffer(sink_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->finish();
                              self->drain();
                            });
  }
  void finish() {
    timer_.cancel();
    beast::error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<HttpServer::Shared> shared_;
  std::string out_;
  char sink_[1024];
};

void refuse(tcp::socket socket, const std::shared_ptr<HttpServer::Shared>& shared,
            const std::string& message) {
  if (shared->refusing >= 256) {  // a storm: no answer, just no descriptor held
    beast::error_code ignored;
    socket.close(ignored);
    return;
  }
  std::make_shared<Refusal>(std::move(socket), shared, message)->start();
}

class Session final : public std::enable_shared_from_this<Session>, public LiveFeed::Subscriber {
 public:
  Session(tcp::socket socket, std::string remote, bool local,
          std::shared_ptr<HttpServer::Shared> shared)
      : stream_(std::move(socket)),
        shared_(std::move(shared)),
        remote_(std::move(remote)),
        local_(local),
        ping_(stream_.get_executor()) {
    ++shared_->open;
    ++shared_->perAddress[remote_];
  }
  ~Session() override {
    release();
    shared_->sessions.erase(this);
  }

  void start() {
    if (!shared_->tls) return read(shared_->limits.readTimeout);
    // HTTPS and plain HTTP on the same port: the first bytes tell which this client speaks.
    waiting();
    stream_.expires_after(shared_->limits.readTimeout);
    beast::async_detect_ssl(stream_, buffer_,
                            [self = shared_from_this()](beast::error_code ec, bool isTls) {
                              self->onDetect(ec, isTls);
                            });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    release();
    ping_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  void onReady() override { flush(); }

 private:
  // Gives back what this connection counted against the caps (once).
  void release() {
    if (released_) return;
    released_ = true;
    notWaiting();
    if (feed_) {
      feed_->unsubscribe(this);
      feed_ = nullptr;
    }
    --shared_->open;
    if (auto it = shared_->perAddress.find(remote_); it != shared_->perAddress.end())
      if (--it->second == 0) shared_->perAddress.erase(it);
    if (streaming_) {
      --shared_->streams;
      if (auto it = shared_->streamsPerAddress.find(remote_);
          it != shared_->streamsPerAddress.end())
        if (--it->second == 0) shared_->streamsPerAddress.erase(it);
    }
  }

  void onDetect(beast::error_code ec, bool isTls) {
    if (closed_) return;
    if (ec) return close();
    if (!isTls) {
      // Plain HTTP: from this machine as ever; from elsewhere the request is read and
      // answered with where to go (tokens and contacts must not cross the network in clear).
      mustUseTls_ = !(local_ && shared_->limits.plainFromLoopback);
      return read(shared_->limits.readTimeout);
    }
    context_ = shared_->tls;  // kept for this connection: a reload swaps only new ones
    tls_.emplace(stream_, *context_);
    tls_->async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                          [self = shared_from_this()](beast::error_code ec, std::size_t used) {
                            if (self->closed_) return;
                            if (ec) {
                              ++self->shared_->counters.handshakeFailed;
                              return self->close();
                            }
                            self->buffer_.consume(used);
                            self->read(self->shared_->limits.readTimeout);
                          });
  }

  // Every read and write goes through this: the TLS layer when there is one.
  template <class F>
  void io(F&& f) {
    if (tls_)
      f(*tls_);
    else
      f(stream_);
  }

  // A Host header that names this server: an IP address, localhost, a name of its
  // certificate, of this machine, or one the configuration lists.
  bool hostAllowed(std::string_view host) const {
    if (host.empty()) return false;
    if (host.front() == '[') return host.find(']') != std::string_view::npos;  // [::1]:8080
    if (auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    std::string name(host);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    beast::error_code ec;
    asio::ip::make_address_v4(name, ec);
    if (!ec || name == "localhost" || name == shared_->hostName) return true;
    const auto& listed = shared_->limits.serverNames;
    const auto& certified = shared_->certificateNames;
    return std::find(listed.begin(), listed.end(), name) != listed.end() ||
           std::find(certified.begin(), certified.end(), name) != certified.end();
  }

  void waiting() {
    notWaiting();
    waitingAt_ = shared_->waiting.insert(shared_->waiting.end(), this);
  }
  void notWaiting() {
    if (!waitingAt_) return;
    shared_->waiting.erase(*waitingAt_);
    waitingAt_.reset();
  }

  void read(std::chrono::milliseconds timeout) {
    if (closed_) return;
    waiting();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->limits.headerLimit));
    parser_->body_limit(shared_->limits.bodyLimit);
    stream_.expires_after(timeout);
    io([&](auto& s) {
      http::async_read(
          s, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    });
  }

  void onRead(beast::error_code ec) {
    if (closed_) return;
    notWaiting();
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated)
      return close();
    if (ec == http::error::body_limit)
      return fail(413, "the request body is larger than " +
                           std::to_string(shared_->limits.bodyLimit) + " bytes");
    if (ec == http::error::header_limit) return fail(431, "the request headers are too large");
    if (ec && ec.category() == beast::error_code(http::error::end_of_stream).category())
      return fail(400, "malformed HTTP request: " + ec.message());
    if (ec) return close();

    const auto& req = parser_->get();
    const auto hostField = req.find(http::field::host);
    const std::string_view host =
        hostField == req.end()
            ? std::string_view{}
            : std::string_view(hostField->value().data(), hostField->value().size());
    if (mustUseTls_) {
      ++shared_->counters.plainRefused;
      if (shared_->plainWarn.due())
        spdlog::warn("API: {} gọi bằng HTTP không mã hoá; đã trả lời phải dùng https://{}", remote_,
                     shared_->plainWarn.tail());
      return fail(400, "Máy chủ này chỉ nhận HTTPS từ máy khác: hãy mở https://" +
                           (hostAllowed(host) ? std::string(host) : std::string("…")) +
                           " (plain HTTP is refused beyond this machine; use https://)");
    }
    if (req.version() >= 11 && host.empty())
      return fail(400, "the request has no Host header (HTTP/1.1 requires one)");
    if (!host.empty() && !hostAllowed(host)) {
      ++shared_->counters.badHost;
      return fail(421, "Tên «" + std::string(host.substr(0, 100)) +
                           "» không phải của máy chủ này; mở bằng địa chỉ IP hoặc tên trong "
                           "[api] server_names (a Host this server does not answer to)");
    }
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    if (auto it = req.find(http::field::authorization); it != req.end())
      r.authorization = std::string(it->value());
    if (auto it = req.find(http::field::user_agent); it != req.end())
      r.userAgent = std::string(it->value().substr(0, 200));
    if (auto it = req.find(http::field::content_type); it != req.end())
      r.contentType = std::string(it->value());
    r.body = req.body();
    r.remote = remote_;
    const bool keepAlive = req.keep_alive();
    const bool head = req.method() == http::verb::head;

    HttpResponse res;
    try {
      res = shared_->handler(r);
    } catch (const std::exception& e) {
      spdlog::error("API: lỗi nội bộ khi xử lý {} {}: {}", r.method, pathOnly(r.target), e.what());
      res = HttpResponse{500, "application/json; charset=utf-8", errorBody("internal error"), {}};
    }
    if (res.eventStream && res.status == 200) {
      if (head) {  // the stream's headers, and no stream
        res.eventStream = nullptr;
        res.contentType = "text/event-stream; charset=utf-8";
        return write(std::move(res), keepAlive, true);
      }
      const auto& limits = shared_->limits;
      const auto counted = shared_->streamsPerAddress.find(remote_);  // no entry made here
      const std::size_t fromHere =
          counted == shared_->streamsPerAddress.end() ? 0 : counted->second;
      if (shared_->streams >= limits.maxStreams || fromHere >= limits.maxStreamsPerAddress) {
        ++shared_->counters.refusedStreams;
        if (shared_->busyWarn.due())
          spdlog::warn("API: từ chối luồng sự kiện từ {}: đã có {} luồng ({} từ địa chỉ này){}",
                       remote_, shared_->streams, fromHere, shared_->busyWarn.tail());
        return write(HttpResponse{503,
                                  "application/json; charset=utf-8",
                                  errorBody("Đã đủ số luồng cập nhật trực tiếp cho phép; thử lại "
                                            "sau (too many event streams" +
                                            std::string(fromHere >= limits.maxStreamsPerAddress
                                                            ? " from your address"
                                                            : "") +
                                            ")"),
                                  {{"Retry-After", "5"}}},
                     false);
      }
      return startStream(res);
    }
    if (res.deferred) {
      // Nothing is read meanwhile: the reply comes before the next request is parsed.
      stream_.expires_never();
      auto later = std::move(res.deferred);
      later([self = shared_from_this(), keepAlive](HttpResponse r) {
        if (!self->closed_) self->write(std::move(r), keepAlive);
      });
      return;
    }
    write(std::move(res), keepAlive, head);
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
    // No page of the daemon is ever shown inside another site's frame (clickjacking of the
    // operators' buttons), and no answer is sniffed into another type; a handler may say more.
    res->set("X-Content-Type-Options", "nosniff");
    res->set("X-Frame-Options", "DENY");
    // The pages load only their own files: no inline script or style, no other origin, so a
    // name or reason that slipped into the markup could not run as script.
    res->set("Content-Security-Policy",
             "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: "
             "data:; media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; "
             "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    res->set("Referrer-Policy", "no-referrer");
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
    io([&](auto& s) {
      http::async_write(
          s, *res, [self = shared_from_this(), res, keepAlive](beast::error_code ec, std::size_t) {
            if (ec || !keepAlive) return self->close();
            self->read(self->shared_->limits.idleTimeout);
          });
    });
  }

  // ---- Server-Sent Events -------------------------------------------------------------
  void startStream(const HttpResponse& r) {
    feed_ = r.eventStream;
    wholeLists_ = r.wholeLists;
    streaming_ = true;
    ++shared_->streams;
    ++shared_->streamsPerAddress[remote_];
    streamStarted_ = std::chrono::steady_clock::now();
    out_ =
        "HTTP/1.1 200 OK\r\nServer: ceremonyd\r\nContent-Type: text/event-stream; "
        "charset=utf-8\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n"
        "X-Accel-Buffering: no\r\n\r\nretry: 1000\n\n";
    writing_ = true;
    stream_.expires_after(shared_->limits.writeTimeout);
    io([&](auto& s) {
      asio::async_write(s, asio::buffer(out_),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          self->onStreamStarted(ec);
                        });
    });
  }

  void onStreamStarted(beast::error_code ec) {
    writing_ = false;
    if (ec || closed_) return close();
    // The snapshot first: every topic's latest state is due to a new subscriber.
    feed_->subscribe(this, wholeLists_);
    watchForClose();
    ping();
    flush();
  }

  void flush() {
    if (writing_ || closed_ || !feed_) return;
    // What is due now, each topic's or item's latest state once (the feed keeps what is
    // due while a write is under way: a slow client never builds a backlog).
    out_ = feed_->take(this);
    if (out_.empty()) return;
    send();
  }

  void send() {
    writing_ = true;
    stream_.expires_after(shared_->limits.writeTimeout);
    io([&](auto& s) {
      asio::async_write(s, asio::buffer(out_),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          self->writing_ = false;
                          if (ec) return self->close();
                          self->flush();
                        });
    });
  }

  // A comment line now and then keeps proxies open and finds clients that went away.
  void ping() {
    ping_.expires_after(std::chrono::seconds(15));
    ping_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      // Not for ever: the browser reconnects by itself (retry: 1000) and shows its token again.
      if (std::chrono::steady_clock::now() - self->streamStarted_ >=
          self->shared_->limits.streamLifetime)
        return self->close();
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
    io([&](auto& s) {
      s.async_read_some(asio::buffer(sink_),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (ec) return self->close();
                          self->watchForClose();
                        });
    });
  }

  beast::tcp_stream stream_;  // the socket and its timeouts, under TLS or not
  std::shared_ptr<asio::ssl::context> context_;
  std::optional<beast::ssl_stream<beast::tcp_stream&>> tls_;
  std::shared_ptr<HttpServer::Shared> shared_;
  const std::string remote_;  // the client's address
  const bool local_;          // on this machine (loopback)
  bool mustUseTls_ = false;   // plain HTTP from beyond loopback with TLS on: answer 400
  std::optional<std::list<Session*>::iterator> waitingAt_;
  bool released_ = false;
  bool streaming_ = false;
  std::chrono::steady_clock::time_point streamStarted_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  LiveFeed* feed_ = nullptr;
  bool wholeLists_ = false;
  std::string out_;
  char sink_[256];
  bool writing_ = false;
  bool closed_ = false;
  asio::steady_timer ping_;
};

}  // namespace

namespace {

HttpLimits withDefaults(HttpLimits l) {
  if (l.maxConnections == 0) {
    // A quarter of the descriptors: the rest are the recording, the outputs, the probes and
    // the bridge's sockets, which a flood of connections must never starve.
    rlimit r{};
    const std::size_t fds = ::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY
                                ? static_cast<std::size_t>(r.rlim_cur)
                                : 1024;
    l.maxConnections = std::clamp<std::size_t>(fds / 4, 64, 4096);
  }
  return l;
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, Handler handler, HttpLimits limits)
    : io_(io),
      acceptor_(io),
      shared_(std::make_shared<Shared>(std::move(handler), withDefaults(limits))) {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0) {
    shared_->hostName = name;
    for (char& c : shared_->hostName)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
}

namespace {

std::string x509Time(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return out;
}

std::string opensslError(const char* fallback) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

bool HttpServer::setTls(const std::string& certificateChainPem, const std::string& privateKeyPem,
                        TlsIdentity* identity, std::string* error) {
  namespace ssl = asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  ERR_clear_error();
  beast::error_code ec;
  ctx->use_certificate_chain(asio::buffer(certificateChainPem), ec);
  if (ec) {
    *error = "the TLS certificate does not load: " + opensslError(ec.message().c_str());
    return false;
  }
  ctx->use_private_key(asio::buffer(privateKeyPem), ssl::context::pem, ec);
  if (ec) {
    // OpenSSL's text says nothing of the key's bytes.
    const std::string why = opensslError(ec.message().c_str());
    *error = why.find("key values mismatch") != std::string::npos
                 ? "the TLS private key does not belong to the certificate"
                 : "the TLS private key does not load: " + why;
    return false;
  }
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    *error = "the TLS private key does not belong to the certificate";
    return false;
  }
  // Servers choose; session tickets off (their key would outlive a certificate reload).
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);

  std::vector<std::string> names;
  if (X509* cert = SSL_CTX_get0_certificate(native)) {
    if (identity) {
      char subject[512] = {};
      X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject - 1);
      identity->subject = subject;
      identity->notAfter = x509Time(X509_get0_notAfter(cert));
      int days = 0, secs = 0;
      if (ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(cert)) == 1)
        identity->secondsLeft = static_cast<long long>(days) * 86400 + secs;
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int n = 0;
      identity->sha256.clear();
      if (X509_digest(cert, EVP_sha256(), md, &n) == 1) {
        static const char* hex = "0123456789ABCDEF";
        for (unsigned int i = 0; i < n; ++i) {
          if (i) identity->sha256 += ':';
          identity->sha256 += hex[md[i] >> 4];
          identity->sha256 += hex[md[i] & 15];
        }
      }
    }
    auto* sans =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      if (g->type != GEN_DNS) continue;
      const auto* d = ASN1_STRING_get0_data(g->d.dNSName);
      std::string name(reinterpret_cast<const char*>(d),
                       static_cast<std::size_t>(ASN1_STRING_length(g->d.dNSName)));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      names.push_back(std::move(name));
    }
    if (sans) GENERAL_NAMES_free(sans);
  }
  shared_->tls = std::move(ctx);
  shared_->certificateNames = std::move(names);
  return true;
}

bool HttpServer::tls() const {
  return shared_->tls != nullptr;
}

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
  return shared_->open;
}

std::size_t HttpServer::streams() const {
  return shared_->streams;
}

const HttpCounters& HttpServer::counters() const {
  return shared_->counters;
}

const HttpLimits& HttpServer::limits() const {
  return shared_->limits;
}

void HttpServer::accept() {
  acceptor_.async_accept([this, shared = shared_](beast::error_code ec, tcp::socket socket) {
    if (shared->stopped) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors and the like: try again shortly rather than spin.
      ++shared->counters.acceptErrors;
      if (shared->acceptWarn.due())
        spdlog::warn("API: không nhận được kết nối: {}{}", ec.message(), shared->acceptWarn.tail());
      auto t = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      t->async_wait([this, t, shared](beast::error_code) {
        if (!shared->stopped) accept();
      });
      return;
    }
    beast::error_code peerError;
    const auto peer = socket.remote_endpoint(peerError);
    if (peerError) {  // gone already
      socket.close(peerError);
      return accept();
    }
    std::string remote = peer.address().to_string();
    const auto& limits = shared->limits;
    const auto it = shared->perAddress.find(remote);
    const std::size_t fromHere = it == shared->perAddress.end() ? 0 : it->second;
    if (fromHere >= limits.maxPerAddress) {
      ++shared->counters.refusedPerAddress;
      if (shared->busyWarn.due())
        spdlog::warn("API: {} đã có {} kết nối, từ chối thêm{}", remote, fromHere,
                     shared->busyWarn.tail());
      refuse(std::move(socket), shared,
             "Quá nhiều kết nối từ địa chỉ này; thử lại sau (too many connections from your "
             "address)");
      return accept();
    }
    if (shared->open >= limits.maxConnections) {
      if (shared->waiting.empty()) {
        ++shared->counters.refusedBusy;
        if (shared->busyWarn.due())
          spdlog::warn("API: đã đủ {} kết nối đang làm việc, từ chối {}{}", shared->open, remote,
                       shared->busyWarn.tail());
        refuse(std::move(socket), shared,
               "Máy chủ đang bận; thử lại sau (the server has as many connections as it takes)");
        return accept();
      }
      // Room is made by closing whoever has waited longest for a request.
      ++shared->counters.evicted;
      if (shared->busyWarn.due())
        spdlog::warn("API: đã đủ {} kết nối; đóng kết nối chờ lâu nhất để nhận kết nối mới{}",
                     shared->open, shared->busyWarn.tail());
      shared->waiting.front()->close();
    }
    auto s = std::make_shared<Session>(std::move(socket), std::move(remote),
                                       peer.address().is_loopback(), shared);
    shared->sessions[s.get()] = s;
    s->start();
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
