#include "pipelines/bridge/SrtPublish.h"

#include <arpa/inet.h>
#include <gst/app/gstappsrc.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <srt/access_control.h>
#include <srt/srt.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/post.hpp>
#include <set>
#include <utility>
#include <vector>

#include "pipelines/programme/MediaBins.h"

namespace ceremony::media {

namespace asio = boost::asio;

// ---------------------------------------------------------------------------------------
// The stream id

std::optional<SrtStreamId> parseSrtStreamId(std::string_view id) {
  constexpr std::string_view kPrefix = "#!::";
  if (id.size() > 512 || id.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  SrtStreamId out;
  std::set<std::string_view> seen;
  std::string_view rest = id.substr(kPrefix.size());
  if (rest.empty()) return std::nullopt;
  for (;;) {
    const auto comma = rest.find(',');
    const std::string_view pair = rest.substr(0, comma);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    const std::string_view key = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (!seen.insert(key).second) return std::nullopt;
    if (key == "r") out.resource = value;
    if (key == "m") out.mode = value;
    if (key == "u") out.user = value;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

SrtPublishDecision decideSrtPublish(std::string_view streamId) {
  SrtPublishDecision d;
  const auto id = parseSrtStreamId(streamId);
  if (!id) {
    d.rejectCode = SRT_REJX_BAD_REQUEST;
    d.why = streamId.empty() ? "no stream id" : "a stream id not in #!::r=<point>,m=publish form";
    return d;
  }
  if (id->mode != "publish") {
    d.rejectCode = SRT_REJX_BAD_MODE;
    d.why = "mode «" + (id->mode.empty() ? std::string("request") : id->mode) +
            "»: this port only takes publishers (m=publish)";
    return d;
  }
  if (id->resource.empty()) {
    d.rejectCode = SRT_REJX_BAD_REQUEST;
    d.why = "no point named (r=<point>)";
    return d;
  }
  d.pointId = id->resource;
  return d;
}

// ---------------------------------------------------------------------------------------
// A WHIP session as a handle

namespace {

class WhipHandle final : public ReturnFeedHandle {
 public:
  explicit WhipHandle(std::shared_ptr<ReturnFeed> f) : feed_(std::move(f)) {}
  const std::string& pointId() const override { return feed_->pointId(); }
  const std::string& sessionId() const override { return feed_->sessionId(); }
  void stop(const std::string& reason) override { feed_->stop(reason); }
  void poll() override { feed_->poll(); }
  const char* transport() const override { return "webrtc"; }
  void setDecoding(bool on) override { feed_->setDecoding(on); }
  bool decoding() const override { return feed_->decoding(); }
  void showOnTile(const std::optional<TileTarget>& tile) override { feed_->showOnTile(tile); }
  std::optional<TileTarget> tile() const override { return feed_->tile(); }

 private:
  std::shared_ptr<ReturnFeed> feed_;
};

std::string describe(const sockaddr* a) {
  if (!a) return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (a->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(a);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (a->sa_family == AF_INET6) {
    const auto* in = reinterpret_cast<const sockaddr_in6*>(a);
    inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof host);
    port = ntohs(in->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

// SRT's passphrase is 10 to 79 characters: a token outside that cannot be one.
bool canBePassphrase(const std::string& token) {
  return token.size() >= 10 && token.size() <= 79;
}

}  // namespace

std::shared_ptr<ReturnFeedHandle> returnHandle(std::shared_ptr<ReturnFeed> feed) {
  return std::make_shared<WhipHandle>(std::move(feed));
}

// ---------------------------------------------------------------------------------------
// The listener

struct SrtPublishListener::Shared {
  std::mutex mutex;  // everything below
  std::map<std::string, std::string> tokens;
  int epoll = -1;
  SRTSOCKET listening = SRT_INVALID_SOCK;
  std::map<SRTSOCKET, std::weak_ptr<SrtReturnFeed>> feeds;  // attached connections

  // libsrt's thread, before the handshake completes: the point's passphrase, or a refusal.
  static int onListen(void* opaque, SRTSOCKET ns, int hsVersion, const sockaddr* peer,
                      const char* streamId) {
    auto* self = static_cast<Shared*>(opaque);
    SrtPublishDecision d = decideSrtPublish(streamId ? streamId : "");
    if (hsVersion < 5 && d.pointId.empty()) d.why = "an SRT caller too old to send a stream id";
    std::string token;
    if (!d.pointId.empty()) {
      std::lock_guard lock(self->mutex);
      const auto it = self->tokens.find(d.pointId);
      if (it == self->tokens.end() || it->second.empty()) {
        d.rejectCode = SRT_REJX_NOTFOUND;
        d.why = "no point «" + d.pointId + "» with a token";
      } else if (!canBePassphrase(it->second)) {
        d.rejectCode = SRT_REJX_UNAUTHORIZED;
        d.why = "point «" + d.pointId +
                "»'s token is not 10–79 characters long, so it cannot be an SRT passphrase";
      } else {
        token = it->second;
      }
      if (token.empty()) d.pointId.clear();
    }
    if (d.pointId.empty()) {
      spdlog::warn("SRT (gửi hình về): từ chối {}: {}", describe(peer), d.why);
      srt_setrejectreason(ns, d.rejectCode);
      return -1;
    }
    if (srt_setsockflag(ns, SRTO_PASSPHRASE, token.data(), static_cast<int>(token.size())) ==
        SRT_ERROR) {
      srt_setrejectreason(ns, SRT_REJX_ISE);
      return -1;
    }
    spdlog::debug("SRT (gửi hình về): {} xin gửi hình của điểm {}", describe(peer), d.pointId);
    return 0;
  }
};

// One accepted socket, closed when its last holder lets go.
class SrtConnection {
 public:
  SrtConnection(std::shared_ptr<SrtPublishListener::Shared> shared, SRTSOCKET socket)
      : shared_(std::move(shared)), socket_(socket) {}
  ~SrtConnection() {
    {
      // Still read by the epoll thread (not when it saw the connection end and let it go).
      std::lock_guard lock(shared_->mutex);
      if (shared_->feeds.erase(socket_) > 0 && shared_->epoll >= 0)
        srt_epoll_remove_usock(shared_->epoll, socket_);
    }
    srt_close(socket_);
  }
  SrtConnection(const SrtConnection&) = delete;
  SrtConnection& operator=(const SrtConnection&) = delete;

  // The feed reads it from now on (the epoll thread pushes what comes).
  bool attach(const std::shared_ptr<SrtReturnFeed>& feed) {
    std::lock_guard lock(shared_->mutex);
    if (shared_->epoll < 0) return false;
    shared_->feeds[socket_] = feed;
    const int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
    return srt_epoll_add_usock(shared_->epoll, socket_, &events) != SRT_ERROR;
  }
  std::optional<SRT_TRACEBSTATS> stats() const {
    SRT_TRACEBSTATS s{};
    if (srt_bstats(socket_, &s, 0) == SRT_ERROR) return std::nullopt;
    return s;
  }

 private:
  std::shared_ptr<SrtPublishListener::Shared> shared_;
  SRTSOCKET socket_;
};

SrtPublishListener::SrtPublishListener(asio::io_context& io, Listener& listener)
    : io_(io), listener_(listener), shared_(std::make_shared<Shared>()) {}

SrtPublishListener::~SrtPublishListener() {
  stop();
}

void SrtPublishListener::setTokens(std::map<std::string, std::string> tokens) {
  std::lock_guard lock(shared_->mutex);
  shared_->tokens = std::move(tokens);
}

bool SrtPublishListener::start(const std::string& host, std::uint16_t port, int latencyMs,
                               std::string* error) {
  srt_startup();
  sockaddr_storage addr{};
  socklen_t addrLen = 0;
  const std::string where = host + ":" + std::to_string(port);
  if (auto* in = reinterpret_cast<sockaddr_in*>(&addr);
      inet_pton(AF_INET, host.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    addrLen = sizeof(sockaddr_in);
  } else if (auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
             inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    addrLen = sizeof(sockaddr_in6);
  } else {
    *error = "«" + host + "» is not an IP address";
    return false;
  }
  const SRTSOCKET s = srt_create_socket();
  const int no = 0, latency = latencyMs;
  const bool ok = s != SRT_INVALID_SOCK &&
                  srt_setsockflag(s, SRTO_RCVSYN, &no, sizeof no) != SRT_ERROR &&
                  srt_setsockflag(s, SRTO_LATENCY, &latency, sizeof latency) != SRT_ERROR &&
                  srt_bind(s, reinterpret_cast<sockaddr*>(&addr), int(addrLen)) != SRT_ERROR &&
                  srt_listen_callback(s, &Shared::onListen, shared_.get()) != SRT_ERROR &&
                  srt_listen(s, 64) != SRT_ERROR;
  if (!ok) {
    *error = "cannot listen for SRT publishers on " + where + ": " + srt_getlasterror_str();
    if (s != SRT_INVALID_SOCK) srt_close(s);
    return false;
  }
  {
    std::lock_guard lock(shared_->mutex);
    shared_->listening = s;
    shared_->epoll = srt_epoll_create();
    const int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
    srt_epoll_add_usock(shared_->epoll, s, &events);
  }
  running_ = true;
  thread_ = std::thread([this] { run(); });
  return true;
}

void SrtPublishListener::stop() {
  if (!running_.exchange(false)) return;
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(shared_->mutex);
  srt_close(shared_->listening);
  shared_->listening = SRT_INVALID_SOCK;
  srt_epoll_release(shared_->epoll);
  shared_->epoll = -1;
  // The accepted sockets close with their feeds. No srt_cleanup: GStreamer's srt elements
  // share the library, and a feed may outlive the listener by a moment.
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
}

// The epoll thread: accepts callers (their passphrase already checked by libsrt) and hands
// each to the io_context; reads the attached sockets and pushes what comes to their feeds.
void SrtPublishListener::run() {
  std::array<SRT_EPOLL_EVENT, 64> events{};
  std::vector<char> buffer(1500);
  int epoll = -1;
  SRTSOCKET listening = SRT_INVALID_SOCK;
  const std::shared_ptr<bool> alive = alive_;
  {
    std::lock_guard lock(shared_->mutex);
    epoll = shared_->epoll;
    listening = shared_->listening;
  }
  while (running_) {
    const int n = srt_epoll_uwait(epoll, events.data(), int(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      const SRTSOCKET s = events[std::size_t(i)].fd;
      if (s == listening) {
        // One caller per wake-up: epoll says so again while more wait (a second srt_accept
        // would only make libsrt log that none is pending).
        do {
          sockaddr_storage peer{};
          int peerLen = sizeof peer;
          const SRTSOCKET c = srt_accept(listening, reinterpret_cast<sockaddr*>(&peer), &peerLen);
          if (c == SRT_INVALID_SOCK) break;
          const int no = 0;  // read without blocking, as the listener
          srt_setsockflag(c, SRTO_RCVSYN, &no, sizeof no);
          std::array<char, 513> id{};
          int idLen = int(id.size()) - 1;
          srt_getsockflag(c, SRTO_STREAMID, id.data(), &idLen);
          const auto d = decideSrtPublish(std::string_view(id.data(), std::size_t(idLen)));
          auto connection = std::make_shared<SrtConnection>(shared_, c);
          if (d.pointId.empty()) continue;  // cannot be: the callback refused it
          SrtPublisher p{std::move(connection), d.pointId,
                         describe(reinterpret_cast<sockaddr*>(&peer))};
          asio::post(io_, [this, alive, p = std::move(p)]() mutable {
            if (*alive) listener_.onSrtPublisher(std::move(p));
          });
        } while (false);
        continue;
      }
      std::shared_ptr<SrtReturnFeed> feed;
      {
        std::lock_guard lock(shared_->mutex);
        if (auto it = shared_->feeds.find(s); it != shared_->feeds.end()) feed = it->second.lock();
      }
      std::string endReason;
      for (;;) {
        const int got = srt_recvmsg(s, buffer.data(), int(buffer.size()));
        if (got > 0) {
          if (feed) feed->push(buffer.data(), std::size_t(got));
          continue;
        }
        if (got == SRT_ERROR && srt_getlasterror(nullptr) == SRT_EASYNCRCV) break;
        endReason = got == 0 ? "the encoder closed the connection"
                             : std::string("the connection broke: ") + srt_getlasterror_str();
        break;
      }
      if (endReason.empty()) {
        const SRT_SOCKSTATUS st = srt_getsockstate(s);
        if (st == SRTS_BROKEN || st == SRTS_CLOSED || st == SRTS_NONEXIST)
          endReason = "the connection broke";
      }
      if (!endReason.empty()) {
        {
          std::lock_guard lock(shared_->mutex);
          srt_epoll_remove_usock(epoll, s);
          shared_->feeds.erase(s);
        }
        if (feed) feed->ended(endReason);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// A feed

namespace {

using WeakSrtFeed = std::weak_ptr<SrtReturnFeed>;

// Where tsdemux's streams go: the picture parsed into whole frames, then through the gate to
// its decoder (FeedPicture), the sound through the gate to its decoder; an encoder's other
// streams (KLV, SCTE-35) nowhere. An SRT sender cannot be asked for a keyframe: an opened
// gate waits for its next one.
void onDemuxPad(GstElement* demux, GstPad* pad, gpointer data) {
  FeedPicture& picture = **static_cast<std::shared_ptr<FeedPicture>*>(data);
  std::string_view name;
  GstMiniPtr<GstCaps> caps{gst_pad_get_current_caps(pad)};
  if (caps && !gst_caps_is_empty(caps.get()))
    name = gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
  if (name.rfind("audio/", 0) == 0) return picture.linkAudio(pad);
  GstElement* bin = GST_ELEMENT(gst_element_get_parent(demux));
  if (!bin) return;
  const bool h264 = name == "video/x-h264";
  GstElement* next = bins::make(h264 ? "h264parse" : "fakesink");
  gst_bin_add(GST_BIN(bin), next);
  if (!h264) g_object_set(next, "sync", FALSE, "async", FALSE, nullptr);
  gst_element_sync_state_with_parent(next);
  GstPtr<GstPad> in(gst_element_get_static_pad(next, "sink"));
  if (h264) {
    GstPtr<GstPad> out(gst_element_get_static_pad(next, "src"));
    picture.linkVideo(out.get(), nullptr);
  }
  gst_pad_link(pad, in.get());
  gst_object_unref(bin);
}

}  // namespace

SrtReturnFeed::SrtReturnFeed(asio::io_context& io, ReturnFeed::Listener& listener,
                             SrtReturnFeedStart start)
    : io_(io), listener_(listener), start_(std::move(start)) {}

SrtReturnFeed::~SrtReturnFeed() {
  stop("");
}

bool SrtReturnFeed::start(std::string* error) {
  if (!start_.publisher.connection) {
    *error = "no SRT connection";
    return false;
  }
  const ProgrammeFormat& f = start_.format;
  GstElement* bin = gst_bin_new(("return-" + start_.pointId).c_str());
  GstElement* in = bins::make("appsrc", "srt-in");
  GstElement* demux = bins::make("tsdemux", "demux");
  if (!in || !demux) {
    if (in) gst_object_unref(gst_object_ref_sink(in));
    if (demux) gst_object_unref(gst_object_ref_sink(demux));
    gst_object_unref(gst_object_ref_sink(bin));
    *error = "appsrc and tsdemux are needed (gstreamer1.0-plugins-base, -bad)";
    return false;
  }
  GstCaps* caps = gst_caps_from_string("video/mpegts, systemstream=(boolean)true");
  g_object_set(in, "caps", caps, "is-live", TRUE, "do-timestamp", TRUE, "format", GST_FORMAT_TIME,
               "max-bytes", guint64(4 * 1024 * 1024), nullptr);
  gst_caps_unref(caps);
  // A pipeline that falls behind drops the oldest datagrams rather than holding the epoll
  // thread (which reads every point's socket).
  gst_util_set_object_arg(G_OBJECT(in), "leaky-type", "downstream");
  // tsdemux's own latency for a live stream is 700 ms: the point's picture waits less.
  g_object_set(demux, "latency", 200, nullptr);
  gst_bin_add_many(GST_BIN(bin), in, demux, nullptr);
  gst_element_link(in, demux);
  picture_ = std::make_shared<FeedPicture>(bin, f, start_.name.empty() ? pointId() : start_.name,
                                           start_.target.watch, start_.decode);
  g_signal_connect_data(
      demux, "pad-added", G_CALLBACK(onDemuxPad), new std::shared_ptr<FeedPicture>(picture_),
      [](gpointer data, GClosure*) { delete static_cast<std::shared_ptr<FeedPicture>*>(data); },
      GConnectFlags(0));

  auto self = shared_from_this();
  auto lost = [programme = start_.target.lost, weak = WeakSrtFeed(self)](
                  InputWatch& w, gint64 nowUs, const std::string& reason) {
    if (programme) programme(w, nowUs, reason);
    if (auto f = weak.lock()) f->ended("media error: " + reason);
  };
  if (!pipeline_.startWith(bin, "return-" + start_.pointId, true, f, start_.target.channel,
                           start_.target.watch, lost, error))
    return false;
  {
    std::lock_guard lock(inMutex_);
    in_ = in;
  }
  if (!start_.publisher.connection->attach(self)) {
    *error = "the SRT listener has stopped";
    stop("");
    return false;
  }
  return true;
}

void SrtReturnFeed::push(const char* data, std::size_t size) {
  bool first = false;
  {
    std::lock_guard lock(inMutex_);
    if (!in_) return;
    GstBuffer* b = gst_buffer_new_allocate(nullptr, size, nullptr);
    gst_buffer_fill(b, 0, data, size);
    gst_app_src_push_buffer(GST_APP_SRC(in_), b);
    first = datagrams_++ == 0;
  }
  if (first)
    asio::post(io_, [f = shared_from_this(), alive = alive_] {
      if (*alive) f->listener_.onReturnConnected(f->pointId(), f->sessionId());
    });
}

void SrtReturnFeed::ended(const std::string& reason) {
  if (stopped_ || endedOnce_.exchange(true)) return;
  asio::post(io_, [f = shared_from_this(), alive = alive_, reason] {
    if (*alive) f->listener_.onReturnEnded(f->pointId(), f->sessionId(), reason);
  });
}

void SrtReturnFeed::poll() {
  if (stopped_ || !start_.publisher.connection) return;
  const auto s = start_.publisher.connection->stats();
  if (!s) return;
  ReturnFeedStats stats;
  stats.bytesReceived = s->byteRecvTotal;
  stats.packetsLost = s->pktRcvLossTotal > 0 ? std::uint64_t(s->pktRcvLossTotal) : 0;
  // SRT has no jitter figure: its round trip stands for how shaky the link is.
  if (s->msRTT > 0) stats.jitterMs = s->msRTT;
  listener_.onReturnStats(pointId(), sessionId(), stats);
}

void SrtReturnFeed::stop(const std::string& reason) {
  if (stopped_.exchange(true)) return;
  *alive_ = false;
  {
    std::lock_guard lock(inMutex_);
    in_ = nullptr;
  }
  start_.publisher.connection.reset();  // the socket closes: the encoder hears it
  GstPtr<GstElement> pipeline = pipeline_.release();
  if (!reason.empty() && start_.target.lost && start_.target.watch)
    start_.target.lost(*start_.target.watch, g_get_monotonic_time(), reason);
  if (pipeline) gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  if (picture_) picture_->stopped();
}

void SrtReturnFeed::setDecoding(bool on) {
  // A feed its `point` source shows stays decoded: its sender cannot be asked for a keyframe,
  // and a cut to it would wait for the next one.
  if (picture_ && !stopped_) picture_->setDecoding(on || start_.shownBySource);
}

bool SrtReturnFeed::decoding() const {
  return picture_ && picture_->decoding();
}

void SrtReturnFeed::showOnTile(const std::optional<TileTarget>& tile) {
  if (picture_ && !stopped_) picture_->showOnTile(tile);
}

std::optional<TileTarget> SrtReturnFeed::tile() const {
  return picture_ ? picture_->tile() : std::nullopt;
}

}  // namespace ceremony::media
