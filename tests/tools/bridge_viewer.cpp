// bridge_viewer: stands in for connection points that watch the programme, many in one
// process, each a real WebRTC (webrtcbin) or SRT (srtsrc) receiver. The benchmark runs one
// per batch of viewers (its CPU is not the daemon's), and the impairment test runs one inside
// a network namespace, where a browser's DevTools port would not reach.
//
//   bridge_viewer --whep http://127.0.0.1:8080/whep/nghia-hanh --token-file F [options]
//   bridge_viewer --janus http://127.0.0.1:8088/janus --mountpoint 1 [options]
//   bridge_viewer --srt 127.0.0.1:9000 --point nghia-hanh --token-file F [options]
//
//   --count N        viewers, joined one after another (1)
//   --seconds S      how long to watch once every viewer shows a picture (or 10 s after the
//                    last one tried, whichever comes first); 0 = until SIGTERM (0)
//   --decode         decode the H.264 (a point's screen) instead of only parsing it
//   --stats-ms MS    a stats line per viewer every MS (1000)
//   --profile-level-id HEX   the H.264 a WHEP offer asks for (4d001f, as browsers offer main;
//                    42e01f offers only constrained baseline, as Firefox can)
//
// Standard output, one JSON object a line:
//   {"event":"joined","viewer":0,"join_ms":612,"signalled_ms":130,"candidates":["a p",…]}
//                                                     first picture, and the WHEP answer (or
//                                                     Janus's offer), counted from the start;
//                                                     the WHEP answer's ICE candidates
//   {"event":"failed","viewer":0,"error":"…"}
//   {"event":"ready","joined":N,"failed":M}          every viewer has tried
//   {"event":"stats","viewer":0,"frames":…,"audio":…,"width":1280,"height":720,
//    "max_gap_ms":…}                                 max_gap_ms: longest wait between two
//                                                     pictures since the last stats line
// A WHEP session is ended with DELETE on the way out. Tokens are read from files and never
// printed. Every wait is bounded: an answer within 10 s (a 503 tried again for 10 s), ICE
// gathering within 2 s.

#include <curl/curl.h>
#include <glib-unix.h>
#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../integration/support/HttpClient.h"
#include "pipelines/GstPtr.h"

namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

std::mutex outMutex;
void emit(const json& j) {
  std::lock_guard lock(outMutex);
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

double msSince(Steady::time_point t0) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
}

// ---- HTTP (libcurl, bounded) -------------------------------------------------------------

using ceremony::testing::HttpReply;

HttpReply http(const std::string& method, const std::string& url, const std::string& body,
               const std::string& contentType, const std::string& token, long timeoutMs = 10000) {
  return ceremony::testing::httpCall(method, url, token, body, std::chrono::milliseconds(timeoutMs),
                                     contentType);
}

std::string origin(const std::string& url) {  // scheme://host:port
  const auto s = url.find("://");
  const auto p = url.find('/', s == std::string::npos ? 0 : s + 3);
  return p == std::string::npos ? url : url.substr(0, p);
}

// ---- one viewer --------------------------------------------------------------------------

struct Viewer {
  int index = 0;
  Steady::time_point start;
  ceremony::media::GstPtr<GstElement> pipeline;
  GstElement* webrtc = nullptr;  // owned by the pipeline
  std::atomic<long> frames{0}, audio{0};
  std::atomic<int> width{0}, height{0};
  std::atomic<bool> joined{false};
  std::atomic<bool> live{false};   // set up (read by the stats timer)
  std::atomic<long> answerMs{-1};  // the WHEP answer (or Janus's offer) came, ms from start
  std::vector<std::string> remoteCandidates;  // "address port" of the answer's candidates
  std::mutex gapMutex;
  Steady::time_point lastFrame{};
  double maxGapMs = 0;
  std::string location;  // WHEP session URL, for DELETE
  bool decode = false;

  void onFrame(GstPad* pad) {
    const auto now = Steady::now();
    if (!joined.exchange(true))
      emit({{"event", "joined"},
            {"viewer", index},
            {"join_ms", std::lround(msSince(start))},
            {"signalled_ms", answerMs.load()},
            {"candidates", remoteCandidates}});
    ++frames;
    if (width == 0) {
      if (GstCaps* caps = gst_pad_get_current_caps(pad)) {
        const GstStructure* s = gst_caps_get_structure(caps, 0);
        int w = 0, h = 0;
        if (gst_structure_get_int(s, "width", &w) && gst_structure_get_int(s, "height", &h)) {
          width = w;
          height = h;
        }
        gst_caps_unref(caps);
      }
    }
    std::lock_guard lock(gapMutex);
    if (lastFrame != Steady::time_point{})
      maxGapMs =
          std::max(maxGapMs, std::chrono::duration<double, std::milli>(now - lastFrame).count());
    lastFrame = now;
  }
  json stats() {
    double gap = 0;
    {
      std::lock_guard lock(gapMutex);
      gap = maxGapMs;
      maxGapMs = 0;
    }
    return {{"event", "stats"},
            {"viewer", index},
            {"frames", frames.load()},
            {"audio", audio.load()},
            {"width", width.load()},
            {"height", height.load()},
            {"max_gap_ms", std::lround(gap)}};
  }
};

// A fakesink whose every buffer is counted as a picture (video) or an audio packet.
GstElement* countingSink(Viewer* v, bool video) {
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, nullptr);
  if (video)
    g_signal_connect(sink, "handoff",
                     G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad* pad, gpointer u) {
                       static_cast<Viewer*>(u)->onFrame(pad);
                     }),
                     v);
  else
    g_signal_connect(sink, "handoff", G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad*, gpointer u) {
                       ++static_cast<Viewer*>(u)->audio;
                     }),
                     v);
  return sink;
}

// Links what webrtcbin receives: H.264 to depay ! parse [! decode] ! count, Opus to count.
void onIncoming(GstElement*, GstPad* pad, gpointer user) {
  auto* v = static_cast<Viewer*>(user);
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (!caps) caps = gst_pad_query_caps(pad, nullptr);
  const gchar* media = gst_structure_get_string(gst_caps_get_structure(caps, 0), "media");
  const bool video = media && std::string(media) == "video";
  gst_caps_unref(caps);
  std::vector<GstElement*> chain;
  if (video) {
    chain.push_back(gst_element_factory_make("rtph264depay", nullptr));
    chain.push_back(gst_element_factory_make("h264parse", nullptr));
    if (v->decode) chain.push_back(gst_element_factory_make("avdec_h264", nullptr));
  } else {
    chain.push_back(gst_element_factory_make("rtpopusdepay", nullptr));
  }
  chain.push_back(countingSink(v, video));
  for (GstElement* e : chain) {
    gst_bin_add(GST_BIN(v->pipeline.get()), e);
    gst_element_sync_state_with_parent(e);
  }
  for (size_t i = 0; i + 1 < chain.size(); ++i) gst_element_link(chain[i], chain[i + 1]);
  ceremony::media::GstPtr<GstPad> sinkPad(gst_element_get_static_pad(chain.front(), "sink"));
  gst_pad_link(pad, sinkPad.get());
}

GstWebRTCSessionDescription* waitDescription(GstPromise* p, const char* field) {
  if (gst_promise_wait(p) != GST_PROMISE_RESULT_REPLIED) return nullptr;
  const GstStructure* r = gst_promise_get_reply(p);
  GstWebRTCSessionDescription* d = nullptr;
  if (r) gst_structure_get(r, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &d, nullptr);
  return d;
}

void setDescription(GstElement* webrtc, const char* signal, GstWebRTCSessionDescription* d) {
  GstPromise* p = gst_promise_new();
  g_signal_emit_by_name(webrtc, signal, d, p);
  gst_promise_wait(p);
  gst_promise_unref(p);
}

// Makes our offer or answer ("offer" / "answer") and sets it as the local description.
bool describeLocally(GstElement* webrtc, const std::string& kind) {
  GstPromise* p = gst_promise_new();
  g_signal_emit_by_name(webrtc, ("create-" + kind).c_str(), nullptr, p);
  GstWebRTCSessionDescription* d = waitDescription(p, kind.c_str());
  gst_promise_unref(p);
  if (!d) return false;
  setDescription(webrtc, "set-local-description", d);
  gst_webrtc_session_description_free(d);
  return true;
}

// The local description once ICE gathering is complete (loopback: ~0.5 s), at most 2 s.
std::string localSdpGathered(GstElement* webrtc) {
  const auto until = Steady::now() + std::chrono::seconds(2);
  while (Steady::now() < until) {
    GstWebRTCICEGatheringState state;
    g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
    if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  GstWebRTCSessionDescription* local = nullptr;
  g_object_get(webrtc, "local-description", &local, nullptr);
  if (!local) return {};
  gchar* text = gst_sdp_message_as_text(local->sdp);
  std::string sdp = text;
  g_free(text);
  gst_webrtc_session_description_free(local);
  return sdp;
}

GstWebRTCSessionDescription* parseSdp(GstWebRTCSDPType type, const std::string& text) {
  GstSDPMessage* msg = nullptr;
  gst_sdp_message_new_from_text(text.c_str(), &msg);
  if (!msg) return nullptr;
  return gst_webrtc_session_description_new(type, msg);
}

bool makeWebrtc(Viewer* v) {
  v->pipeline.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(nullptr))));
  v->webrtc = gst_element_factory_make("webrtcbin", nullptr);
  if (!v->webrtc) return false;
  g_object_set(v->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  gst_bin_add(GST_BIN(v->pipeline.get()), v->webrtc);
  g_signal_connect(v->webrtc, "pad-added", G_CALLBACK(onIncoming), v);
  return gst_element_set_state(v->pipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
}

std::string offeredProfile = "4d001f";

std::optional<std::string> joinWhep(Viewer* v, const std::string& url, const std::string& token) {
  if (!makeWebrtc(v)) return "webrtcbin does not start (gstreamer1.0-plugins-bad, -nice)";
  const std::string wanted[] = {
      "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000,"
      "packetization-mode=(string)1,profile-level-id=(string)" +
          offeredProfile,
      "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000"};
  for (const std::string& c : wanted) {
    ceremony::media::GstMiniPtr<GstCaps> caps(gst_caps_from_string(c.c_str()));
    GstWebRTCRTPTransceiver* t = nullptr;
    g_signal_emit_by_name(v->webrtc, "add-transceiver",
                          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps.get(), &t);
    ceremony::media::GstPtr<GstWebRTCRTPTransceiver> added(t);  // webrtcbin keeps its own
  }
  if (!describeLocally(v->webrtc, "offer")) return "no offer from webrtcbin";
  const std::string sdp = localSdpGathered(v->webrtc);
  // 503 is "not yet" (the programme's first picture, or a full bridge): tried again for
  // 10 s, as the point's page does.
  auto r = http("POST", url, sdp, "application/sdp", token);
  for (int again = 0; r.status == 503 && again < 20; ++again) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    r = http("POST", url, sdp, "application/sdp", token);
  }
  v->answerMs = std::lround(msSince(v->start));
  if (r.status != 201)
    return "WHEP answered " + (r.status ? std::to_string(r.status) : "nothing") + ": " +
           r.body.substr(0, 200);
  v->location =
      r.location.empty() || r.location.front() != '/' ? r.location : origin(url) + r.location;
  std::istringstream lines(r.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("a=candidate:", 0) != 0) continue;
    std::istringstream f(line);
    std::string foundation, component, transport, priority, address, port;
    f >> foundation >> component >> transport >> priority >> address >> port;
    v->remoteCandidates.push_back(address + " " + port);
  }
  GstWebRTCSessionDescription* answer = parseSdp(GST_WEBRTC_SDP_TYPE_ANSWER, r.body);
  if (!answer) return "the answer is not SDP";
  setDescription(v->webrtc, "set-remote-description", answer);
  gst_webrtc_session_description_free(answer);
  return std::nullopt;
}

// Janus's HTTP API: one session for all viewers, a handle per viewer.
struct Janus {
  std::string base;
  std::string session;
  std::atomic<bool> stop{false};
  std::thread poller;

  static std::string tx() {
    static std::atomic<int> n{0};
    return "t" + std::to_string(++n);
  }
  std::optional<json> post(const std::string& path, json body) {
    body["transaction"] = tx();
    const auto r = http("POST", base + path, body.dump(), "application/json", "");
    if (r.status != 200) return std::nullopt;
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  }
  bool open() {
    auto j = post("", {{"janus", "create"}});
    if (!j || !(*j).contains("data")) return false;
    session = std::to_string((*j)["data"]["id"].get<std::uint64_t>());
    return true;
  }
  // Long-polls for the event carrying `handle`'s JSEP offer.
  std::optional<std::string> offerFor(const std::string& handle) {
    const auto until = Steady::now() + std::chrono::seconds(10);
    while (Steady::now() < until) {
      const auto r = http("GET", base + "/" + session + "?maxev=10", "", "", "", 12000);
      auto j = json::parse(r.body, nullptr, false);
      if (j.is_discarded()) continue;
      if (!j.is_array()) j = json::array({j});
      for (const auto& e : j)
        if (e.contains("jsep") && std::to_string(e.value("sender", std::uint64_t{0})) == handle)
          return e["jsep"].value("sdp", "");
    }
    return std::nullopt;
  }
  void keepAlive() {
    poller = std::thread([this] {
      while (!stop) http("GET", base + "/" + session + "?maxev=10", "", "", "", 2000);
    });
  }
  ~Janus() {
    stop = true;
    if (poller.joinable()) poller.join();
  }
};

std::optional<std::string> joinJanus(Viewer* v, Janus& janus, int mountpoint) {
  auto a =
      janus.post("/" + janus.session, {{"janus", "attach"}, {"plugin", "janus.plugin.streaming"}});
  if (!a || !(*a).contains("data")) return "Janus refused attach";
  const std::string handle = std::to_string((*a)["data"]["id"].get<std::uint64_t>());
  const std::string path = "/" + janus.session + "/" + handle;
  if (!janus.post(path,
                  {{"janus", "message"}, {"body", {{"request", "watch"}, {"id", mountpoint}}}}))
    return "Janus refused watch";
  const auto offerText = janus.offerFor(handle);
  if (!offerText) return "no offer from Janus within 10 s";
  v->answerMs = std::lround(msSince(v->start));
  if (!makeWebrtc(v)) return "webrtcbin does not start";
  GstWebRTCSessionDescription* offer = parseSdp(GST_WEBRTC_SDP_TYPE_OFFER, *offerText);
  if (!offer) return "Janus's offer is not SDP";
  setDescription(v->webrtc, "set-remote-description", offer);
  gst_webrtc_session_description_free(offer);
  if (!describeLocally(v->webrtc, "answer")) return "no answer from webrtcbin";
  const std::string sdp = localSdpGathered(v->webrtc);
  if (!janus.post(path, {{"janus", "message"},
                         {"body", {{"request", "start"}}},
                         {"jsep", {{"type", "answer"}, {"sdp", sdp}}}}))
    return "Janus refused start";
  return std::nullopt;
}

std::optional<std::string> joinSrt(Viewer* v, const std::string& hostPort, const std::string& point,
                                   const std::string& token) {
  ceremony::media::GErrorBox err;
  const std::string desc =
      "srtsrc name=src uri=srt://" + hostPort +
      "?mode=caller latency=200 ! tsdemux name=d d. ! queue ! h264parse name=vparse " +
      (v->decode ? "! avdec_h264 name=vdec " : "") + "d. ! queue ! aacparse name=aparse";
  GstElement* launched = gst_parse_launch(desc.c_str(), err.out());
  if (!launched) return err.message("cannot build the SRT receiver");
  v->pipeline.reset(GST_ELEMENT(gst_object_ref_sink(launched)));
  GstBin* bin = GST_BIN(v->pipeline.get());
  using ceremony::media::GstPtr;
  GstPtr<GstElement> src(gst_bin_get_by_name(bin, "src"));
  const std::string streamid = "#!::u=" + point + ",s=" + token;
  g_object_set(src.get(), "streamid", streamid.c_str(), nullptr);
  GstPtr<GstElement> vlast(gst_bin_get_by_name(bin, v->decode ? "vdec" : "vparse"));
  GstPtr<GstElement> alast(gst_bin_get_by_name(bin, "aparse"));
  GstElement* vs = countingSink(v, true);
  GstElement* as = countingSink(v, false);
  gst_bin_add_many(bin, vs, as, nullptr);
  gst_element_link(vlast.get(), vs);
  gst_element_link(alast.get(), as);
  if (gst_element_set_state(v->pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    return "the SRT caller does not start";
  return std::nullopt;
}

std::string readToken(const std::string& file) {
  std::ifstream in(file);
  std::string t;
  std::getline(in, t);
  while (!t.empty() && (t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::string whep, janusUrl, srt, point, tokenFile;
  int count = 1, mountpoint = 1, statsMs = 1000;
  double seconds = 0;
  bool decode = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bridge_viewer: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--whep")
      whep = next();
    else if (a == "--janus")
      janusUrl = next();
    else if (a == "--srt")
      srt = next();
    else if (a == "--point")
      point = next();
    else if (a == "--token-file")
      tokenFile = next();
    else if (a == "--mountpoint")
      mountpoint = std::stoi(next());
    else if (a == "--count")
      count = std::stoi(next());
    else if (a == "--seconds")
      seconds = std::stod(next());
    else if (a == "--stats-ms")
      statsMs = std::stoi(next());
    else if (a == "--profile-level-id")
      offeredProfile = next();
    else if (a == "--decode")
      decode = true;
    else {
      std::fprintf(stderr, "bridge_viewer: unknown argument %s (see the file's header)\n",
                   a.c_str());
      return 2;
    }
  }
  if (int(!whep.empty()) + int(!janusUrl.empty()) + int(!srt.empty()) != 1) {
    std::fprintf(stderr, "bridge_viewer: say one of --whep, --janus or --srt\n");
    return 2;
  }
  const std::string token = tokenFile.empty() ? "" : readToken(tokenFile);
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  g_unix_signal_add(
      SIGTERM,
      +[](gpointer l) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop*>(l));
        return G_SOURCE_REMOVE;
      },
      loop);
  g_unix_signal_add(
      SIGINT,
      +[](gpointer l) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop*>(l));
        return G_SOURCE_REMOVE;
      },
      loop);

  std::vector<std::unique_ptr<Viewer>> viewers;
  for (int i = 0; i < count; ++i) {
    viewers.push_back(std::make_unique<Viewer>());
    viewers.back()->index = i;
    viewers.back()->decode = decode;
  }
  Janus janus;
  janus.base = janusUrl;
  std::atomic<bool> quitting{false};
  std::thread joiner([&] {
    int joinedOk = 0, failed = 0;
    if (!janusUrl.empty() && !janus.open()) {
      emit(
          {{"event", "failed"}, {"viewer", -1}, {"error", "Janus does not answer at " + janusUrl}});
      failed = count;
    } else {
      for (auto& v : viewers) {
        if (quitting) break;
        v->start = Steady::now();
        std::optional<std::string> error;
        if (!whep.empty())
          error = joinWhep(v.get(), whep, token);
        else if (!janusUrl.empty())
          error = joinJanus(v.get(), janus, mountpoint);
        else
          error = joinSrt(v.get(), srt, point, token);
        if (error) {
          ++failed;
          emit({{"event", "failed"}, {"viewer", v->index}, {"error", *error}});
        } else {
          ++joinedOk;
          v->live = true;
        }
      }
      if (!janusUrl.empty()) janus.keepAlive();
    }
    emit({{"event", "ready"}, {"joined", joinedOk}, {"failed", failed}});
    if (seconds > 0) {
      const auto pictures = Steady::now() + std::chrono::seconds(10);
      auto allShow = [&] {
        for (auto& v : viewers)
          if (v->live && !v->joined) return false;
        return true;
      };
      while (!quitting && !allShow() && Steady::now() < pictures)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      const auto until = Steady::now() + std::chrono::milliseconds(long(seconds * 1000));
      while (!quitting && Steady::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      g_main_loop_quit(loop);
    }
  });
  struct Tick {
    std::vector<std::unique_ptr<Viewer>>* viewers;
  } tick{&viewers};
  g_timeout_add(
      static_cast<guint>(statsMs),
      +[](gpointer u) -> gboolean {
        for (auto& v : *static_cast<Tick*>(u)->viewers)
          if (v->live) emit(v->stats());
        return G_SOURCE_CONTINUE;
      },
      &tick);
  g_main_loop_run(loop);
  quitting = true;
  joiner.join();
  for (auto& v : viewers) {
    if (!v->location.empty()) http("DELETE", v->location, "", "", token, 2000);
    if (v->pipeline) {
      gst_element_set_state(v->pipeline.get(), GST_STATE_NULL);
      v->pipeline.reset();
    }
  }
  g_main_loop_unref(loop);
  curl_global_cleanup();
  return 0;
}
