#include "health/net/CurlMulti.h"

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

std::optional<Micros> milestone(CURL* easy, CURLINFO what) {
  curl_off_t us = 0;
  if (curl_easy_getinfo(easy, what, &us) != CURLE_OK || us <= 0) return std::nullopt;
  return Micros(us);
}

}  // namespace

struct CurlMulti::Transfer {
  TransferId id = 0;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpRequest request;
  Completion done;
  std::string body;
  bool truncated = false;
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
struct CurlMulti::SocketWatch {
  SocketWatch(boost::asio::io_context& io, curl_socket_t f) : fd(f), descriptor(io, f) {}
  curl_socket_t fd;
  boost::asio::posix::stream_descriptor descriptor;
  int want = 0;  // CURL_POLL_IN / OUT / INOUT
  bool readPending = false;
  bool writePending = false;
  bool closed = false;

  void forget() {
    closed = true;
    boost::system::error_code ignored;
    descriptor.cancel(ignored);
    descriptor.release();  // deregister only: the socket is curl's to close
  }
};

CurlMulti::CurlMulti(boost::asio::io_context& io)
    : io_(io), timer_(io), alive_(std::make_shared<bool>(true)) {
  initCurlOnce();
  multi_ = curl_multi_init();
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::onSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::onTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMulti::~CurlMulti() {
  *alive_ = false;
  for (auto& [id, t] : transfers_) curl_multi_remove_handle(multi_, t->easy);
  transfers_.clear();
  curl_multi_cleanup(multi_);
  for (auto& [fd, w] : sockets_) w->forget();
  sockets_.clear();
  timer_.cancel();
}

CurlMulti::TransferId CurlMulti::start(HttpRequest request, Completion done) {
  auto t = std::make_unique<Transfer>();
  t->id = nextId_++;
  t->request = std::move(request);
  t->done = std::move(done);
  t->easy = curl_easy_init();
  CURL* e = t->easy;
  const HttpRequest& r = t->request;
  curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connectTimeout.count()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
  // A probe measures a fresh connection each time, and no idle sockets pile up.
  curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_USERAGENT, "ceremonyd-health/1");
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

  const TransferId id = t->id;
  CURLMcode added = curl_multi_add_handle(multi_, e);
  if (added != CURLM_OK) {
    // Still asynchronous for the caller: the completion never runs inside start().
    HttpResponse failed;
    failed.code = CURLE_FAILED_INIT;
    failed.error = curl_multi_strerror(added);
    boost::asio::post(io_, [done = std::move(t->done), failed] { done(failed); });
    return id;
  }
  transfers_.emplace(id, std::move(t));
  return id;
}

bool CurlMulti::cancel(TransferId id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return false;
  curl_multi_remove_handle(multi_, it->second->easy);
  transfers_.erase(it);
  return true;
}

int CurlMulti::onSocket(CURL*, curl_socket_t fd, int what, void* self, void*) {
  static_cast<CurlMulti*>(self)->watch(fd, what);
  return 0;
}

void CurlMulti::watch(curl_socket_t fd, int what) {
  auto it = sockets_.find(fd);
  if (what == CURL_POLL_REMOVE) {
    if (it != sockets_.end()) {
      it->second->forget();
      sockets_.erase(it);
    }
    return;
  }
  if (it == sockets_.end()) {
    it = sockets_.emplace(fd, std::make_shared<SocketWatch>(io_, fd)).first;
  }
  it->second->want = what;
  arm(it->second);
}

void CurlMulti::arm(const std::shared_ptr<SocketWatch>& w) {
  using boost::asio::posix::stream_descriptor;
  if (w->closed) return;
  // Waits are one-shot; a wait whose direction curl no longer wants is ignored when it
  // fires rather than cancelled, which would abort the other direction's wait too.
  if ((w->want & CURL_POLL_IN) && !w->readPending) {
    w->readPending = true;
    w->descriptor.async_wait(stream_descriptor::wait_read,
                             [this, w](const boost::system::error_code& ec) {
                               w->readPending = false;
                               if (ec || w->closed) return;
                               onReady(w, CURL_CSELECT_IN);
                             });
  }
  if ((w->want & CURL_POLL_OUT) && !w->writePending) {
    w->writePending = true;
    w->descriptor.async_wait(stream_descriptor::wait_write,
                             [this, w](const boost::system::error_code& ec) {
                               w->writePending = false;
                               if (ec || w->closed) return;
                               onReady(w, CURL_CSELECT_OUT);
                             });
  }
}

void CurlMulti::onReady(const std::shared_ptr<SocketWatch>& w, int direction) {
  const int wanted = direction == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT;
  if (!(w->want & wanted)) return;
  act(w->fd, direction);
  if (!w->closed) arm(w);
}

int CurlMulti::onTimer(CURLM*, long timeoutMs, void* selfp) {
  auto* self = static_cast<CurlMulti*>(selfp);
  ++self->timerGeneration_;
  if (timeoutMs < 0) {
    self->timer_.cancel();
    return 0;
  }
  // Never act here, even for 0 ms: we are inside curl. The io_context runs the wait's
  // handler after this callback has returned.
  self->timer_.expires_after(std::chrono::milliseconds(timeoutMs));
  self->timer_.async_wait(
      [self, generation = self->timerGeneration_,
       alive = std::weak_ptr<bool>(self->alive_)](const boost::system::error_code& ec) {
        auto guard = alive.lock();
        if (ec || !guard || !*guard || generation != self->timerGeneration_) return;
        self->onTimeout();
      });
  return 0;
}

void CurlMulti::onTimeout() {
  act(CURL_SOCKET_TIMEOUT, 0);
}

void CurlMulti::act(curl_socket_t fd, int events) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  collectFinished();
}

void CurlMulti::collectFinished() {
  // Completions may start or cancel transfers, or destroy this object: gather first,
  // then call, and stop if we are gone.
  std::vector<std::pair<Completion, HttpResponse>> finished;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
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
    r.body = std::move(t->body);
    r.bodyTruncated = t->truncated;
    Completion done = std::move(t->done);
    const TransferId id = t->id;
    curl_multi_remove_handle(multi_, e);
    transfers_.erase(id);
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
