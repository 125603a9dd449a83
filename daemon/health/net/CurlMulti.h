#pragma once
// libcurl's multi interface driven by the daemon's Boost.Asio io_context: every HTTP
// transfer (probes, webhooks) shares one thread and one epoll set, no thread per request.
//
// The rules follow curl's docs/examples/multi-uv.c, not the withdrawn asiohiper.cpp:
//  - curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when it next
//    needs a timeout call (CURLMOPT_TIMERFUNCTION); we keep ONE non-repeating asio timer;
//  - curl is never re-entered from inside its own callbacks: even a 0 ms timeout is
//    served by a handler the io_context runs later;
//  - a watched socket lives in a context owned by a shared_ptr that pending handlers
//    hold, so a handler that runs after curl dropped the socket finds a valid, closed
//    context instead of freed memory; on CURL_POLL_REMOVE the descriptor is released
//    from asio (never closed by asio: the socket belongs to curl).
//
// Shards: libcurl 7.88 slows down more than linearly with the number of transfers and hosts
// one multi handle holds (its connection cache walks every host's bundle when a connection
// goes, its DNS cache is pruned whole on every transfer), until one curl call takes seconds
// at 10,000 points and healthy points time out. So the transfers are spread over several
// multi handles ("shards") on the same io_context, each serving at most hostsPerShard
// hosts: a host (scheme, host and port) always goes to the same shard, where its kept-alive
// connection and its DNS entry are, and a new shard opens when every shard is full.

#include <curl/curl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ceremony::health {

using Micros = std::chrono::microseconds;

struct HttpRequest {
  std::string url;
  std::string method = "GET";        // GET, HEAD or POST
  std::string body;                  // sent with POST
  std::vector<std::string> headers;  // "Name: value"; may carry secrets, never logged
  std::chrono::milliseconds connectTimeout{2000};
  std::chrono::milliseconds timeout{5000};  // the whole transfer
  std::size_t maxBody = 64 * 1024;          // body bytes kept; the rest is read and dropped
  bool verifyTls = true;
  // Keep the connection open for the next request to the same host (a probe every few
  // seconds then costs a request, not a TCP and TLS handshake). Off: a fresh connection,
  // closed after the transfer.
  bool reuseConnection = false;
  std::string caFile;  // extra CA bundle for https probes of points with a private CA
};

struct HttpResponse {
  CURLcode code = CURLE_OK;  // CURLE_OK when an HTTP response (any status) arrived
  std::string error;         // curl's own sentence when code != CURLE_OK
  int osErrno = 0;           // errno of a failed connect (ECONNREFUSED, EHOSTUNREACH, ...)
  long status = 0;           // HTTP status, 0 when none arrived
  std::string body;          // at most maxBody bytes
  bool bodyTruncated = false;
  bool newConnection = false;  // false: a kept-alive connection carried it
  // Milestones from the start of the transfer, when curl reached them.
  std::optional<Micros> connect;    // TCP connected
  std::optional<Micros> tls;        // TLS handshake done (https only)
  std::optional<Micros> firstByte;  // first response byte
  Micros total{0};
};

class CurlMulti {
 public:
  using TransferId = std::uint64_t;
  using RequestId = std::uint64_t;
  using Completion = std::function<void(const HttpResponse&)>;

  static constexpr std::size_t kHostsPerShard = 256;
  explicit CurlMulti(boost::asio::io_context& io, std::size_t hostsPerShard = kHostsPerShard);
  ~CurlMulti();  // aborts running transfers without calling their completions
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // Starts a transfer; `done` runs once, on the io_context, never from inside start().
  TransferId start(HttpRequest request, Completion done);
  // Drops a running transfer; its completion is not called. False if it already finished.
  bool cancel(TransferId id);

  // A request made again and again (a probe every few seconds): its curl handle, options
  // and header list are made once, here, and kept until release(); each run() only hands
  // the handle back to curl, which starts its timeouts and its timing afresh. At 10,000
  // points a new handle per probe cost about a fifth of the probing's CPU in malloc alone.
  RequestId prepare(HttpRequest request);
  // Runs a prepared request; `done` runs once, on the io_context, never from inside run().
  // False, and nothing runs, when the request is unknown or its last run has not finished.
  bool run(RequestId id, Completion done);
  // Drops a running run of it (no completion) and the request. Unknown ids are ignored.
  void release(RequestId id);

  std::size_t running() const { return running_; }
  std::size_t prepared() const { return transfers_.size(); }  // one-shot transfers included
  std::size_t watchedSockets() const;                         // sockets a running transfer waits on
  // Sockets of kept-alive connections between two transfers: still registered with the
  // event loop, waiting for the next transfer or for curl to close them.
  std::size_t restingSockets() const;
  std::size_t shards() const { return shards_.size(); }

 private:
  struct Transfer;
  struct SocketWatch;
  struct Shard;

  static int onSocket(CURL* easy, curl_socket_t fd, int what, void* shard, void* socketp);
  static int onTimer(CURLM* multi, long timeoutMs, void* shard);
  static curl_socket_t openSocket(void* shard, curlsocktype purpose, curl_sockaddr* address);
  static int closeSocket(void* shard, curl_socket_t fd);
  Shard& shardFor(const std::string& url);
  void watch(Shard& shard, curl_socket_t fd, int what);
  void arm(Shard& shard, const std::shared_ptr<SocketWatch>& w);
  void onReady(Shard& shard, const std::shared_ptr<SocketWatch>& w, int direction);
  void act(Shard& shard, curl_socket_t fd, int events);
  void collectFinished(Shard& shard);
  std::unique_ptr<Transfer> make(HttpRequest request);
  bool add(Transfer& t);
  void stop(Transfer& t);

  boost::asio::io_context& io_;
  std::size_t hostsPerShard_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unordered_map<std::string, Shard*> shardOfHost_;
  std::unordered_map<TransferId, std::unique_ptr<Transfer>> transfers_;  // and prepared ones
  std::size_t running_ = 0;
  TransferId nextId_ = 1;
  std::shared_ptr<bool> alive_;
};

}  // namespace ceremony::health
