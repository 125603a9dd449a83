#include "pipelines/bridge/SrtListener.h"

#include <gio/gio.h>
#include <gst/app/gstappsrc.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <string_view>

#include "config/Secrets.h"
#include "pipelines/bridge/EncodedIn.h"

namespace ceremony::media {

namespace {

// "127.0.0.1:50312" (address and port) and "127.0.0.1" (address only) of a caller.
std::pair<std::string, std::string> describe(GSocketAddress* addr) {
  if (!addr || !G_IS_INET_SOCKET_ADDRESS(addr)) return {"?", "?"};
  auto* inet = G_INET_SOCKET_ADDRESS(addr);
  GCharPtr ip(g_inet_address_to_string(g_inet_socket_address_get_address(inet)));
  const std::string host = ip ? ip.get() : "?";
  return {host + ":" + std::to_string(g_inet_socket_address_get_port(inet)), host};
}

}  // namespace

std::optional<std::pair<std::string, std::string>> SrtListener::parseStreamId(
    const std::string& id) {
  constexpr std::string_view kPrefix = "#!::";
  if (id.size() > 512 || id.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  std::string point, token;
  std::size_t at = kPrefix.size();
  while (at <= id.size()) {
    const auto comma = id.find(',', at);
    const std::string pair =
        id.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    const auto eq = pair.find('=');
    if (eq != std::string::npos) {
      const std::string key = pair.substr(0, eq), value = pair.substr(eq + 1);
      if (key == "u" || (key == "r" && point.empty())) point = value;
      if (key == "s") token = value;
    }
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  if (point.empty() || token.empty()) return std::nullopt;
  return std::make_pair(point, token);
}

SrtListener::SrtListener(boost::asio::io_context& io, Listener& listener)
    : io_(io), listener_(listener) {}

SrtListener::~SrtListener() {
  stop();
}

void SrtListener::setTokens(std::map<std::string, std::string> tokens) {
  std::lock_guard lock(admissionMutex_);
  tokens_ = std::move(tokens);
}

bool SrtListener::start(const std::string& host, std::uint16_t port, int latencyMs,
                        std::string* error) {
  pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new("bridge-srt"))));
  videoIn_ = bridge::makeEncodedIn("srt-video-in");
  audioIn_ = bridge::makeEncodedIn("srt-audio-in");
  GstElement* parse = gst_element_factory_make("h264parse", nullptr);
  GstElement* aparse = gst_element_factory_make("aacparse", nullptr);
  GstElement* mux = gst_element_factory_make("mpegtsmux", nullptr);
  sink_ = gst_element_factory_make("srtsink", "srt-listener");
  if (!allMadeOrDropped({videoIn_, audioIn_, parse, aparse, mux, sink_})) {
    videoIn_ = audioIn_ = sink_ = nullptr;
    pipeline_.reset();
    *error = "the SRT listener needs srtsink, mpegtsmux and h264parse (gstreamer1.0-plugins-bad)";
    return false;
  }
  // SPS/PPS before every keyframe: a decoder that calls in mid-stream starts at the next one.
  g_object_set(parse, "config-interval", -1, nullptr);
  g_object_set(mux, "alignment", 7, nullptr);  // 7 TS packets per datagram: 1316 bytes
  gst_util_set_object_arg(G_OBJECT(sink_), "mode", "listener");
  g_object_set(sink_, "localaddress", host.c_str(), "localport", static_cast<guint>(port),
               "latency", latencyMs, "wait-for-connection", FALSE, "sync", FALSE, "async", FALSE,
               "authentication", TRUE, nullptr);
  g_signal_connect(sink_, "caller-connecting", G_CALLBACK(onConnecting), this);
  g_signal_connect(sink_, "caller-added", G_CALLBACK(onAdded), this);
  g_signal_connect(sink_, "caller-removed", G_CALLBACK(onRemoved), this);
  GstBin* bin = GST_BIN(pipeline_.get());
  gst_bin_add_many(bin, videoIn_, parse, audioIn_, aparse, mux, sink_, nullptr);
  if (!gst_element_link_many(videoIn_, parse, mux, sink_, nullptr) ||
      !gst_element_link_many(audioIn_, aparse, mux, nullptr)) {
    *error = "cannot link the SRT listener's pipeline";
    pipeline_.reset();
    return false;
  }
  if (!bridge::playOrDrop(pipeline_)) {
    *error = "cannot listen for SRT callers on " + host + ":" + std::to_string(port);
    videoIn_ = audioIn_ = sink_ = nullptr;
    return false;
  }
  return true;
}

void SrtListener::stop() {
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  bridge::stopAndDrop(pipeline_);
  videoIn_ = audioIn_ = sink_ = nullptr;
  for (const auto& [address, c] : callers_) listener_.onCallerLeft(c.sessionId);
  callers_.clear();
}

void SrtListener::pushVideo(GstSample* sample) {
  bridge::pushFromKeyframe(videoIn_, sample, sawKeyframe_);
}

void SrtListener::pushAudio(GstSample* sample) {
  if (audioIn_ && sawKeyframe_) gst_app_src_push_sample(GST_APP_SRC(audioIn_), sample);
}

// SRT's thread: admit a caller only with its point's own token.
gboolean SrtListener::onConnecting(GstElement*, GSocketAddress* addr, const gchar* streamid,
                                   gpointer data) {
  auto* self = static_cast<SrtListener*>(data);
  const auto who = parseStreamId(streamid ? streamid : "");
  std::lock_guard lock(self->admissionMutex_);
  const auto it = who ? self->tokens_.find(who->first) : self->tokens_.end();
  const bool ok =
      it != self->tokens_.end() && !it->second.empty() && sameSecret(it->second, who->second);
  if (ok) self->admitted_[describe(addr).first] = who->first;
  spdlog::debug("SRT: {} {} ({} điểm có mã)", describe(addr).first, ok ? "được vào" : "bị từ chối",
                self->tokens_.size());
  return ok;
}

// srtsink names a caller by its address only (the socket argument is always 0).
void SrtListener::onAdded(GstElement*, gint, GSocketAddress* addr, gpointer data) {
  auto* self = static_cast<SrtListener*>(data);
  const auto [full, host] = describe(addr);
  std::string point;
  {
    std::lock_guard lock(self->admissionMutex_);
    auto it = self->admitted_.find(full);
    if (it == self->admitted_.end()) return;
    point = it->second;
    self->admitted_.erase(it);
  }
  boost::asio::post(self->io_, [self, alive = self->alive_, full = full, point, host = host] {
    if (!*alive) return;
    Caller c;
    c.sessionId = "s" + std::to_string(self->nextId_++);
    c.pointId = point;
    c.peer = host;
    self->callers_[full] = c;
    self->listener_.onCallerJoined(c.sessionId, point, host);
  });
}

void SrtListener::onRemoved(GstElement*, gint, GSocketAddress* addr, gpointer data) {
  auto* self = static_cast<SrtListener*>(data);
  boost::asio::post(self->io_, [self, alive = self->alive_, full = describe(addr).first] {
    if (!*alive) return;
    auto it = self->callers_.find(full);
    if (it == self->callers_.end()) return;
    const std::string id = it->second.sessionId;
    self->callers_.erase(it);
    self->listener_.onCallerLeft(id);
  });
}

std::size_t SrtListener::callers() const {
  return callers_.size();
}

void SrtListener::poll() {
  if (!sink_ || callers_.empty()) return;
  GstStructure* statsOut = nullptr;
  g_object_get(sink_, "stats", &statsOut, nullptr);
  const bridge::StructurePtr owned(statsOut);
  const GstStructure* stats = owned.get();
  if (!stats) return;
  static bool dumped = false;
  if (!dumped) {
    GCharPtr text(gst_structure_to_string(stats));
    spdlog::debug("SRT: thống kê {}", text ? text.get() : "");
    dumped = true;
  }
  const GValue* list = gst_structure_get_value(stats, "callers");
  std::vector<const GstStructure*> entries;
  if (list && std::string_view(G_VALUE_TYPE_NAME(list)) == "GValueArray") {
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    auto* array = static_cast<GValueArray*>(g_value_get_boxed(list));
    for (guint i = 0; array && i < array->n_values; ++i) {
      const GValue* v = g_value_array_get_nth(array, i);
      if (GST_VALUE_HOLDS_STRUCTURE(v)) entries.push_back(gst_value_get_structure(v));
    }
    G_GNUC_END_IGNORE_DEPRECATIONS
  } else if (list && GST_VALUE_HOLDS_LIST(list)) {
    for (guint i = 0; i < gst_value_list_get_size(list); ++i) {
      const GValue* v = gst_value_list_get_value(list, i);
      if (GST_VALUE_HOLDS_STRUCTURE(v)) entries.push_back(gst_value_get_structure(v));
    }
  } else if (callers_.size() == 1) {
    entries.push_back(stats);
  }
  // Each entry names its caller by address where srtsink gives it, else by order.
  std::size_t index = 0;
  for (auto& [address, caller] : callers_) {
    const GstStructure* s = nullptr;
    for (const auto* e : entries) {
      const GValue* a = gst_structure_get_value(e, "caller-address");
      if (a && G_VALUE_HOLDS_OBJECT(a) && G_IS_SOCKET_ADDRESS(g_value_get_object(a)) &&
          describe(G_SOCKET_ADDRESS(g_value_get_object(a))).first == address)
        s = e;
    }
    if (!s && index < entries.size()) s = entries[index];
    ++index;
    if (!s) continue;
    SrtCallerStats out;
    out.sessionId = caller.sessionId;
    out.pointId = caller.pointId;
    out.peer = caller.peer;
    out.rttMs = bridge::statNumber(s, "rtt-ms");
    const auto sent = bridge::statNumber(s, "packets-sent");
    const auto lost = bridge::statNumber(s, "packets-sent-lost");
    if (sent && lost && *sent >= 0 && *lost >= 0) {
      const auto sentNow = static_cast<std::uint64_t>(*sent);
      const auto lostNow = static_cast<std::uint64_t>(*lost);
      if (sentNow > caller.lastSent)
        out.lossPercent = 100.0 *
                          static_cast<double>(lostNow - std::min(lostNow, caller.lastLost)) /
                          static_cast<double>(sentNow - caller.lastSent);
      caller.lastSent = sentNow;
      caller.lastLost = lostNow;
    }
    if (const auto bytes = bridge::statNumber(s, "bytes-sent"); bytes && *bytes >= 0)
      out.bytesSent = static_cast<std::uint64_t>(*bytes);
    listener_.onCallerStats(out);
  }
}

}  // namespace ceremony::media
