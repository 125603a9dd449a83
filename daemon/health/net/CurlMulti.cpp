#include "health/net/CurlMulti.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <mutex>
#include <stdexcept>

namespace ceremony::health {

namespace {

// curl_global_init is not thread-safe on old curls; do it once for the process.
void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// "https://user:pw@host:8443/path?q" → "https://host:8443": where a connection can be reused.
std::string hostKey(const std::string& url) {
  const auto scheme = url.find("://");
  const auto start = scheme == std::string::npos ? 0 : scheme + 3;
  auto end = url.find_first_of("/?#", start);
  if (end == std::string::npos) end = url.size();
  auto at = url.rfind('@', end);
  const auto hostStart = at != std::string::npos && at >= start ? at + 1 : start;
  return url.substr(0, start) + url.substr(hostStart, end - hostStart);
}

// Every connection curl opens is closed with a reset rather than FIN and TIME_WAIT: a probe
// that timed out, or a kept-alive connection curl drops, then costs one packet to close
// instead of four, and the kernel keeps no TIME_WAIT socket for a minute (at 10,000 points,
// with a fifth hanging, that was 400 connections a second). Nothing is lost: curl closes a
// connection only once its transfer is over or abandoned.
int onSockopt(void* opened, curl_socket_t fd, curlsocktype purpose) {
  if (purpose == CURLSOCKTYPE_IPCXN) {
    *static_cast<bool*>(opened) = true;  // this transfer makes a new connection
    const linger reset{1, 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  return CURL_SOCKOPT_OK;
}

std::optional<Micros> milestone(CURL* easy, CURLINFO what) {
  curl_off_t us = 0;
  if (curl_easy_getinfo(easy, what, &us) != CURLE_OK || us <= 0) return std::nullopt;
  return Micros(us);
}

}  // namespace

struct CurlMulti::Transfer {
  TransferId id = 0;
  Shard* shard = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpRequest request;
  Completion done;
  std::string body;
  bool truncated = false;
  bool oneShot = true;  // start(): freed when it finishes; prepare(): kept for the next run
  bool active = false;  // in its shard's multi handle
  bool opened = false;  // this run opened a connection (even one that never connected)
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (easy) curl_easy_cleanup(easy);
    if (headers) curl_slist_free_all(headers);
  }

  static size_t onBody(char* data, size_t size, size_t count, void* self) {
    auto* t = static_cast<Transfer*>(self);
    const size_t n = size * count;
    const size_t room = t->request.maxBody - t->body.size();
    if (n > room) {
      // Enough seen: stop reading instead of draining a large body into /dev/null.
      t->body.append(data, room);
      t->truncated = true;
      return 0;
    }
    t->body.append(data, n);
    return n;
  }
};

// One socket curl asked us to watch. Handlers hold the shared_ptr, so the context outlives
// CURL_POLL_REMOVE until the last pending wait has come back (aborted).
//
// A socket of a connection curl opened through openSocket() (every connection to a point)
// is watched from its opening to its closing in closeSocket(): between two transfers on a
// kept-alive connection curl says CURL_POLL_REMOVE and the watch only rests (want = 0), so
// the next probe on it costs no epoll_ctl() and no new watch. At 10,000 points that was three
// epoll_ctl() calls (delete, add, and add EPOLLOUT) and two allocations per probe. Only
// those sockets: any other curl might close behind our back, and a descriptor number closed
// and reused while still watched here would never be reported ready.
struct CurlMulti::SocketWatch {
  SocketWatch(boost::asio::io_context& io, curl_socket_t f) : fd(f), descriptor(io) {}
  // False when asio could not take the descriptor (then nothing is registered).
  bool registered() {
    boost::system::error_code ec;
    descriptor.assign(fd, ec);
    return !ec;
  }
  curl_socket_t fd;
  boost::asio::posix::stream_descriptor descriptor;
  int want = 0;  // CURL_POLL_IN / OUT / INOUT; 0: resting between transfers
  bool readPending = false;
  bool writePending = false;
  bool closed = false;
  bool kept = false;  // opened by openSocket(): watched until closeSocket()

  void forget() {
    closed = true;
    boost::system::error_code ignored;
    descriptor.cancel(ignored);
    if (descriptor.is_open()) descriptor.release();  // deregister only: curl closes it
  }
};

// One curl multi handle with its timer and its sockets.
struct CurlMulti::Shard {
  Shard(CurlMulti& o, boost::asio::io_context& io) : owner(o), timer(io) {
    multi = curl_multi_init();
    if (!multi) throw std::runtime_error("curl_multi_init failed");
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &CurlMulti::onSocket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &CurlMulti::onTimer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    // Room for a kept-alive connection to each of its hosts.
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(o.hostsPerShard_));
  }
  ~Shard() {
    curl_multi_cleanup(multi);
    for (auto& [fd, w] : sockets) w->forget();
    timer.cancel();
  }
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // curl's timer (CURLMOPT_TIMERFUNCTION). curl moves it on almost every call (each
  // transfer added asks for "now", each step for its nearest timeout): re-arming an asio
  // timer each time was a timerfd_settime() system call per change, 9 % of the CPU at
  // 10,000 points. So the asio timer is moved only when curl wants to be called earlier
  // than it is armed for; a wait that comes too early is re-armed for `due`, and "now"
  // is a posted handler, no timer at all.
  void setTimeout(long timeoutMs) {
    if (timeoutMs < 0) {
      due.reset();  // a pending wait stays and does nothing when it comes
      return;
    }
    due = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    if (timeoutMs == 0) {
      // Never act here, even for 0 ms: we are inside curl. The io_context runs this later.
      if (!nowPosted) {
        nowPosted = true;
        boost::asio::post(timer.get_executor(), [this, alive = std::weak_ptr<bool>(owner.alive_)] {
          auto guard = alive.lock();
          if (!guard || !*guard) return;
          nowPosted = false;
          fire();
        });
      }
      return;
    }
    if (!armed || *due < armedAt) arm(*due);
  }

  void arm(std::chrono::steady_clock::time_point at) {
    armed = true;
    armedAt = at;
    timer.expires_at(at);  // a wait pending for later comes back aborted: its generation is old
    timer.async_wait(
        [this, generation = ++timerGeneration,
         alive = std::weak_ptr<bool>(owner.alive_)](const boost::system::error_code& ec) {
          auto guard = alive.lock();
          if (!guard || !*guard || generation != timerGeneration) return;
          armed = false;
          if (!ec) fire();
        });
  }

  void fire() {
    if (!due) return;
    if (std::chrono::steady_clock::now() < *due) {
      if (!armed || *due < armedAt) arm(*due);
      return;
    }
    due.reset();
    owner.act(*this, CURL_SOCKET_TIMEOUT, 0);
  }

  CurlMulti& owner;
  CURLM* multi = nullptr;
  boost::asio::steady_timer timer;
  std::optional<std::chrono::steady_clock::time_point> due;  // when curl wants to be called
  bool armed = false;                                        // an asio wait is pending, for armedAt
  std::chrono::steady_clock::time_point armedAt;
  bool nowPosted = false;             // a "now" handler is queued
  std::uint64_t timerGeneration = 0;  // a stale expiry of a re-armed timer is ignored
  std::map<curl_socket_t, std::shared_ptr<SocketWatch>> sockets;
  std::size_t hosts = 0;
};

CurlMulti::CurlMulti(boost::asio::io_context& io, std::size_t hostsPerShard)
    : io_(io),
      hostsPerShard_(std::max<std::size_t>(1, hostsPerShard)),
      alive_(std::make_shared<bool>(true)) {
  initCurlOnce();
  shards_.push_back(std::make_unique<Shard>(*this, io_));
}

CurlMulti::~CurlMulti() {
  *alive_ = false;
  for (auto& [id, t] : transfers_)
    if (t->active) curl_multi_remove_handle(t->shard->multi, t->easy);
  transfers_.clear();
  shards_.clear();
}

std::size_t CurlMulti::watchedSockets() const {
  std::size_t n = 0;
  for (const auto& s : shards_)
    for (const auto& [fd, w] : s->sockets) n += w->want != 0;
  return n;
}

std::size_t CurlMulti::restingSockets() const {
  std::size_t n = 0;
  for (const auto& s : shards_)
    for (const auto& [fd, w] : s->sockets) n += w->want == 0;
  return n;
}

CurlMulti::Shard& CurlMulti::shardFor(const std::string& url) {
  auto key = hostKey(url);
  auto it = shardOfHost_.find(key);
  if (it != shardOfHost_.end()) return *it->second;
  // The emptiest shard, or a new one when all are full. Hosts stay where they are: the
  // list of points changes only on a reload, which makes a new CurlMulti.
  Shard* best = nullptr;
  for (auto& s : shards_)
    if (!best || s->hosts < best->hosts) best = s.get();
  if (best->hosts >= hostsPerShard_) {
    shards_.push_back(std::make_unique<Shard>(*this, io_));
    best = shards_.back().get();
  }
  ++best->hosts;
  shardOfHost_.emplace(std::move(key), best);
  return *best;
}

std::unique_ptr<CurlMulti::Transfer> CurlMulti::make(HttpRequest request) {
  auto t = std::make_unique<Transfer>();
  t->id = nextId_++;
  t->shard = &shardFor(request.url);
  t->request = std::move(request);
  t->easy = curl_easy_init();
  if (!t->easy) throw std::runtime_error("curl_easy_init failed");
  CURL* e = t->easy;
  const HttpRequest& r = t->request;
  curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, &onSockopt);
  curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, &t->opened);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &CurlMulti::openSocket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t->shard);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &CurlMulti::closeSocket);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, t->shard);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connectTimeout.count()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
  if (r.reuseConnection) {
    // An idle connection older than this is not trusted (a NAT may have dropped it).
    curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, 60L);
  } else {
    // A fresh connection each time, and no idle sockets pile up.
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  }
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_USERAGENT, "ceremonyd-health/1");
  // curl's receive buffer, 16 KiB by default, is taken and given back on every transfer:
  // a large block each time, which made glibc consolidate its free lists every probe. The
  // answers here are a few hundred bytes (a bigger body is just read in more pieces), and a
  // kept handle holds less memory.
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 1024L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::onBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, r.verifyTls ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, r.verifyTls ? 2L : 0L);
  if (!r.caFile.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, r.caFile.c_str());
  if (r.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (r.method == "POST") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.c_str());
  }
  for (const auto& h : r.headers) t->headers = curl_slist_append(t->headers, h.c_str());
  if (t->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  return t;
}

bool CurlMulti::add(Transfer& t) {
  t.body.clear();
  t.truncated = false;
  t.opened = false;
  t.error[0] = '\0';
  const CURLMcode added = curl_multi_add_handle(t.shard->multi, t.easy);
  if (added != CURLM_OK) {
    // Still asynchronous for the caller: the completion never runs inside start() or run().
    HttpResponse failed;
    failed.code = CURLE_FAILED_INIT;
    failed.error = curl_multi_strerror(added);
    boost::asio::post(io_, [done = std::move(t.done), failed] { done(failed); });
    t.done = nullptr;
    return false;
  }
  t.active = true;
  ++running_;
  return true;
}

void CurlMulti::stop(Transfer& t) {
  if (t.active) {
    curl_multi_remove_handle(t.shard->multi, t.easy);
    t.active = false;
    --running_;
  }
  t.done = nullptr;
}

CurlMulti::TransferId CurlMulti::start(HttpRequest request, Completion done) {
  auto t = make(std::move(request));
  t->done = std::move(done);
  const TransferId id = t->id;
  Transfer& ref = *t;
  transfers_.emplace(id, std::move(t));
  if (!add(ref)) transfers_.erase(id);
  return id;
}

bool CurlMulti::cancel(TransferId id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end() || !it->second->active) return false;
  stop(*it->second);
  if (it->second->oneShot) transfers_.erase(it);
  return true;
}

CurlMulti::RequestId CurlMulti::prepare(HttpRequest request) {
  auto t = make(std::move(request));
  t->oneShot = false;
  const RequestId id = t->id;
  transfers_.emplace(id, std::move(t));
  return id;
}

bool CurlMulti::run(RequestId id, Completion done) {
  auto it = transfers_.find(id);
  if (it == transfers_.end() || it->second->oneShot || it->second->active) return false;
  it->second->done = std::move(done);
  add(*it->second);  // a failure to add is reported through `done`, later
  return true;
}

void CurlMulti::release(RequestId id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  stop(*it->second);
  transfers_.erase(it);
}

int CurlMulti::onSocket(CURL*, curl_socket_t fd, int what, void* shard, void*) {
  auto* s = static_cast<Shard*>(shard);
  s->owner.watch(*s, fd, what);
  return 0;
}

void CurlMulti::watch(Shard& shard, curl_socket_t fd, int what) {
  auto& sockets = shard.sockets;
  auto it = sockets.find(fd);
  if (what == CURL_POLL_REMOVE) {
    if (it == sockets.end()) return;
    if (it->second->kept) {
      it->second->want = 0;  // rests, still registered, until the next transfer or its close
      return;
    }
    it->second->forget();
    sockets.erase(it);
    return;
  }
  if (it == sockets.end()) {
    auto w = std::make_shared<SocketWatch>(io_, fd);
    if (!w->registered()) return;  // asio refused it: the transfer times out
    it = sockets.emplace(fd, std::move(w)).first;
  }
  it->second->want = what;
  arm(shard, it->second);
}

void CurlMulti::arm(Shard& shard, const std::shared_ptr<SocketWatch>& w) {
  using boost::asio::posix::stream_descriptor;
  if (w->closed) return;
  // Waits are one-shot; a wait whose direction curl no longer wants is ignored when it
  // fires rather than cancelled, which would abort the other direction's wait too.
  if ((w->want & CURL_POLL_IN) && !w->readPending) {
    w->readPending = true;
    w->descriptor.async_wait(stream_descriptor::wait_read,
                             [this, &shard, w](const boost::system::error_code& ec) {
                               w->readPending = false;
                               if (ec || w->closed) return;
                               onReady(shard, w, CURL_CSELECT_IN);
                             });
  }
  if ((w->want & CURL_POLL_OUT) && !w->writePending) {
    w->writePending = true;
    w->descriptor.async_wait(stream_descriptor::wait_write,
                             [this, &shard, w](const boost::system::error_code& ec) {
                               w->writePending = false;
                               if (ec || w->closed) return;
                               onReady(shard, w, CURL_CSELECT_OUT);
                             });
  }
}

void CurlMulti::onReady(Shard& shard, const std::shared_ptr<SocketWatch>& w, int direction) {
  const int wanted = direction == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT;
  if (!(w->want & wanted)) return;
  // A completion may destroy this CurlMulti (and the shard): the watch's shared_ptr keeps
  // `w` valid, and `closed` is set when its shard forgets it.
  std::weak_ptr<bool> alive = alive_;
  act(shard, w->fd, direction);
  if (auto guard = alive.lock(); guard && *guard && !w->closed) arm(shard, w);
}

curl_socket_t CurlMulti::openSocket(void* shard, curlsocktype purpose, curl_sockaddr* address) {
  const curl_socket_t fd =
      ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd == CURL_SOCKET_BAD || purpose != CURLSOCKTYPE_IPCXN) return fd;
  auto* s = static_cast<Shard*>(shard);
  auto w = std::make_shared<SocketWatch>(s->owner.io_, fd);
  if (!w->registered()) return fd;  // then watched transfer by transfer, as any other socket
  w->kept = true;
  auto& slot = s->sockets[fd];
  if (slot) slot->forget();  // a watch left on a number the kernel has given again
  slot = std::move(w);
  return fd;
}

int CurlMulti::closeSocket(void* shard, curl_socket_t fd) {
  auto* s = static_cast<Shard*>(shard);
  if (auto it = s->sockets.find(fd); it != s->sockets.end()) {
    it->second->forget();  // before the number can be given to another socket
    s->sockets.erase(it);
  }
  return ::close(fd);
}

int CurlMulti::onTimer(CURLM*, long timeoutMs, void* shard) {
  static_cast<Shard*>(shard)->setTimeout(timeoutMs);
  return 0;
}

void CurlMulti::act(Shard& shard, curl_socket_t fd, int events) {
  int running = 0;
  curl_multi_socket_action(shard.multi, fd, events, &running);
  collectFinished(shard);
}

void CurlMulti::collectFinished(Shard& shard) {
  // Completions may start or cancel transfers, or destroy this object: gather first,
  // then call, and stop if we are gone.
  std::vector<std::pair<Completion, HttpResponse>> finished;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(shard.multi, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* e = msg->easy_handle;
    Transfer* t = nullptr;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, &t);
    HttpResponse r;
    r.code = msg->data.result;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r.status);
    if (r.code == CURLE_WRITE_ERROR && t->truncated) r.code = CURLE_OK;
    if (r.code != CURLE_OK) {
      r.error = t->error[0] ? t->error : curl_easy_strerror(r.code);
      long osErrno = 0;
      curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &osErrno);
      r.osErrno = static_cast<int>(osErrno);
    }
    r.connect = milestone(e, CURLINFO_CONNECT_TIME_T);
    r.tls = milestone(e, CURLINFO_APPCONNECT_TIME_T);
    r.firstByte = milestone(e, CURLINFO_STARTTRANSFER_TIME_T);
    r.total = milestone(e, CURLINFO_TOTAL_TIME_T).value_or(Micros(0));
    // Not CURLINFO_NUM_CONNECTS: it stays 0 when the new connection never connected.
    r.newConnection = t->opened;
    r.body = std::move(t->body);
    r.bodyTruncated = t->truncated;
    Completion done = std::move(t->done);
    t->done = nullptr;
    curl_multi_remove_handle(shard.multi, e);
    t->active = false;
    --running_;
    if (t->oneShot) transfers_.erase(t->id);  // a prepared one waits for its next run
    finished.emplace_back(std::move(done), std::move(r));
  }
  std::weak_ptr<bool> alive = alive_;
  for (auto& [done, response] : finished) {
    auto guard = alive.lock();
    if (!guard || !*guard) return;
    if (done) done(response);
  }
}

}  // namespace ceremony::health
