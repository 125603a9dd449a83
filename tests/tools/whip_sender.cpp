// whip_sender: a connection point's camera and microphone sent to the province over WHIP
// (RFC 9725), as a commune's hardware encoder or OBS would: GStreamer's webrtcbin for the
// media, libcurl for the signalling. The return-path test runs several at once (one per
// commune), and the return benchmark many (their CPU is not the daemon's).
//
//   whip_sender --url http://127.0.0.1:8080/whip/nghia-hanh --token-file F [options]
//
//   --color 0xRRGGBB   a picture of that colour with a white ball moving on it (a still
//                      picture would rightly be shown as frozen), encoded live with x264
//                      (zerolatency, ultrafast, constrained baseline) (the default: 0xff0000)
//   --file clip.mp4    a pre-encoded H.264 clip (MP4/MOV), sent as it is, in a loop, without
//                      re-encoding (qtdemux ! h264parse ! rtph264pay): the sender encodes
//                      nothing. Read into memory once (at most 256 MB)
//   --tone-hz HZ       an Opus sine at HZ, the microphone (1000); 0: video only
//   --width W --height H --fps F   the --color picture (640×360 at 25)
//   --kbps K           the --color video bitrate (800); lowered to the answer's b=AS if less
//   --seconds N        send for N seconds once connected, then end the session (0: until
//                      SIGINT/SIGTERM)
//   --lose-first N     the first N video RTP packets after the first are not sent: a network
//                      that loses the start of the session (0)
//   --janus URL --room R [--display NAME]
//                      instead of WHIP (no --url, no token): publish to room R of a Janus
//                      VideoRoom through Janus's HTTP API at URL (http://127.0.0.1:8088/janus):
//                      create a session, attach janus.plugin.videoroom, join as a publisher,
//                      "publish" with the same offer (its ICE candidates in it), the answer
//                      from the session's events (long-polled), then a keepalive every 15 s;
//                      SIGINT/SIGTERM destroys the session. The
//                      return benchmark's peer: the same media, only the signalling differs
//   --freeze-after S   --color: S seconds after the first picture sent, the same picture
//                      again and again (a camera or capture card that hung while the encoder
//                      goes on): the province should call it frozen
//   --flood-kbps K     --color: a picture of noise at K kbit/s whatever the answer's b=AS says
//                      (an encoder that ignores it): the province should cut it off
//
// Nothing is sent before ICE and DTLS are up, and the picture starts with a keyframe (the
// encoder is asked for one; a clip plays from its start).
//
// Standard output: `whip_sender: sending <point> session <Location>` once ICE and DTLS are
// up, then a line a second:
//   whip_sender: stats bytes_sent=123456 kbps=812 video_frames=250 audio_packets=50
// (bytes_sent: webrtcbin's outbound RTP statistics; kbps over the last second). SIGINT or
// SIGTERM ends the session with DELETE and exits 0. The token is read from its file and
// never printed.
//
// Exit status: 0 ended as asked; 1 the province refused the offer (401, 400, 415, 404, 503 for
// 10 s…: a sentence on stderr says which); 2 not connected within 10 s of the start (no
// answer, or ICE/DTLS did not come up); 3 bad arguments or a local problem (no token, an
// unreadable clip, a missing GStreamer element); 4 the connection dropped while sending.

#include <curl/curl.h>
#include <glib-unix.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../integration/support/HttpClient.h"
#include "pipelines/GstPtr.h"

namespace {

using Steady = std::chrono::steady_clock;
using ceremony::media::GstMiniPtr;
using ceremony::media::GstPtr;

void say(const std::string& line) {
  std::printf("whip_sender: %s\n", line.c_str());
  std::fflush(stdout);
}
void complain(const std::string& line) {
  std::fprintf(stderr, "whip_sender: %s\n", line.c_str());
  std::fflush(stderr);
}

struct Options {
  std::string url, tokenFile, file;
  unsigned color = 0xff0000;
  int toneHz = -1;  // -1: the default for the source
  int width = 640, height = 360, fps = 25, kbps = 800;
  double seconds = 0;
  int loseFirst = 0;
  std::string janus, display;  // --janus: Janus's HTTP API instead of WHIP
  long long room = 0;
  double freezeAfter = 0;  // 0: the picture moves
  int floodKbps = 0;       // 0: keeps to the answer's b=AS
};

std::string readToken(const std::string& file) {
  std::ifstream in(file);
  std::string t;
  std::getline(in, t);
  while (!t.empty() && (t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

std::string origin(const std::string& url) {  // scheme://host:port
  const auto s = url.find("://");
  const auto p = url.find('/', s == std::string::npos ? 0 : s + 3);
  return p == std::string::npos ? url : url.substr(0, p);
}

std::string pointOf(const std::string& url) {  // …/whip/<point>
  const auto slash = url.find_last_of('/');
  return slash == std::string::npos ? url : url.substr(slash + 1);
}

// "the JSON error's sentence" or the body's start.
std::string reason(const std::string& body) {
  const auto key = body.find("\"error\"");
  if (key != std::string::npos) {
    const auto open = body.find('"', body.find(':', key) + 1);
    const auto close = open == std::string::npos ? open : body.find('"', open + 1);
    if (close != std::string::npos) return body.substr(open + 1, close - open - 1);
  }
  return body.substr(0, 200);
}

// The kbit/s of `b=AS:` in the SDP's video section (0: none).
int videoBandwidth(const std::string& sdp) {
  std::istringstream lines(sdp);
  bool video = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("m=", 0) == 0) video = line.rfind("m=video", 0) == 0;
    if (video && line.rfind("b=AS:", 0) == 0) return std::atoi(line.c_str() + 5);
  }
  return 0;
}

// ---- a pre-encoded clip, read once and replayed --------------------------------------------

struct Clip {
  GstMiniPtr<GstCaps> caps;
  std::vector<GstMiniPtr<GstBuffer>> units;  // access units, in decoding order
  GstClockTime first = 0;                    // the first unit's DTS
  GstClockTime length = 0;                   // one loop: from the first DTS to the last's end
};

GstClockTime decodingTime(GstBuffer* b) {
  return GST_BUFFER_DTS_IS_VALID(b) ? GST_BUFFER_DTS(b) : GST_BUFFER_PTS(b);
}

std::optional<std::string> readClip(const std::string& file, Clip* clip) {
  ceremony::media::GErrorBox err;
  GstElement* launched = gst_parse_launch(
      "filesrc name=src ! qtdemux name=d d.video_0 ! h264parse config-interval=-1 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=out sync=false",
      err.out());
  if (!launched) return err.message("cannot build the clip reader (qtdemux, h264parse)");
  GstPtr<GstElement> reader(GST_ELEMENT(gst_object_ref_sink(launched)));
  GstPtr<GstElement> src(gst_bin_get_by_name(GST_BIN(reader.get()), "src"));
  GstPtr<GstElement> out(gst_bin_get_by_name(GST_BIN(reader.get()), "out"));
  g_object_set(src.get(), "location", file.c_str(), nullptr);
  gst_element_set_state(reader.get(), GST_STATE_PLAYING);
  std::size_t bytes = 0;
  GstClockTime end = 0;
  std::optional<std::string> problem;
  for (;;) {
    GstSample* got = nullptr;
    g_signal_emit_by_name(out.get(), "try-pull-sample", GstClockTime(10 * GST_SECOND), &got);
    GstMiniPtr<GstSample> sample(got);
    if (!sample) break;  // the end (or an error, told below)
    GstBuffer* b = gst_sample_get_buffer(sample.get());
    if (!b || !GST_CLOCK_TIME_IS_VALID(decodingTime(b))) continue;
    if (!clip->caps) clip->caps.reset(gst_caps_copy(gst_sample_get_caps(sample.get())));
    const GstClockTime dts = decodingTime(b);
    if (clip->units.empty()) clip->first = dts;
    const GstClockTime duration =
        GST_BUFFER_DURATION_IS_VALID(b) ? GST_BUFFER_DURATION(b) : GST_SECOND / 25;
    end = std::max(end, dts + duration);
    bytes += gst_buffer_get_size(b);
    clip->units.emplace_back(gst_buffer_ref(b));
    if (bytes > 256u << 20) {
      problem = "the clip is larger than 256 MB";
      break;
    }
  }
  GstPtr<GstBus> bus(gst_element_get_bus(reader.get()));
  if (GstMessage* m = gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR)) {
    auto p = ceremony::media::parseProblem(m);
    gst_message_unref(m);
    problem = "cannot read " + file + ": " + p.error.message("an error");
  }
  gst_element_set_state(reader.get(), GST_STATE_NULL);
  if (problem) return problem;
  if (clip->units.empty() || !clip->caps) return "no H.264 video in " + file;
  clip->length = end - clip->first;
  return std::nullopt;
}

// ---- the sender --------------------------------------------------------------------------

struct Sender {
  Options opt;
  std::string token;
  GstPtr<GstElement> pipeline;
  GstElement* webrtc = nullptr;   // owned by the pipeline
  GstElement* encoder = nullptr;  // x264enc (--color), owned by the pipeline
  GstElement* appsrc = nullptr;   // the clip's (--file), owned by the pipeline
  Clip clip;
  GMainLoop* loop = nullptr;
  std::atomic<bool> connected{false}, quitting{false};
  std::atomic<bool> decided{false};  // the first reason to end is the one told
  int exitCode = 0;
  std::atomic<long> videoFrames{0}, audioPackets{0};
  std::atomic<bool> waitingForKey{true};  // the first picture sent is a keyframe
  int loseFirst = 0;                      // --lose-first: video RTP packets not sent
  std::atomic<gint64> firstSentUs{0};     // when the first picture went (monotonic)
  GstBuffer* still = nullptr;             // --freeze-after: the picture sent from then on
  std::mutex locationMutex;
  std::string location;         // the session's URL, for DELETE
  std::string janusSession;     // --janus: the session's path (for the events and destroy)
  std::thread janusPoller;      // --janus: its keepalive, every 15 s
  std::uint64_t lastBytes = 0;  // onStats' own (one promise at a time)
  std::optional<Steady::time_point> lastStats;

  void finish(int code, const std::string& why) {
    if (decided.exchange(true)) return;
    if (!why.empty()) complain(why);
    exitCode = code;
    quitting = true;
    g_main_loop_quit(loop);
  }
};

bool buildPipeline(Sender& s, std::string* error) {
  const Options& o = s.opt;
  const int tone = o.toneHz >= 0 ? o.toneHz : 1000;
  std::string desc = "webrtcbin name=w bundle-policy=max-bundle ";
  if (o.file.empty()) {
    char colour[16];
    std::snprintf(colour, sizeof colour, "0xff%06x", o.color & 0xffffff);
    desc +=
        "videotestsrc is-live=true pattern=" + std::string(o.floodKbps ? "snow" : "ball") +
        " background-color=" + std::string(colour) +
        " foreground-color=0xffffffff ! video/x-raw,format=I420,width=" + std::to_string(o.width) +
        ",height=" + std::to_string(o.height) + ",framerate=" + std::to_string(o.fps) +
        "/1 ! x264enc name=enc tune=zerolatency speed-preset=ultrafast bitrate=" +
        std::to_string(o.floodKbps ? o.floodKbps : o.kbps) +
        " key-int-max=" + std::to_string(o.fps * 2) +
        " ! video/x-h264,profile=constrained-baseline ! h264parse ! ";
  } else {
    desc += "appsrc name=clip is-live=true format=time ! h264parse ! ";
  }
  const std::string queue = "queue ! w. ";
  desc +=
      "rtph264pay name=vpay pt=96 config-interval=-1 aggregate-mode=zero-latency ! "
      // A keyframe when the receiver asks (RTCP PLI), as browsers and OBS offer.
      "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000,"
      "rtcp-fb-nack-pli=(boolean)true ! " +
      queue;
  if (tone > 0)
    desc += "audiotestsrc is-live=true wave=sine volume=0.3 freq=" + std::to_string(tone) +
            " ! audioconvert ! audioresample ! opusenc ! rtpopuspay name=apay pt=111 ! "
            "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! " +
            queue;
  ceremony::media::GErrorBox err;
  GstElement* launched = gst_parse_launch(desc.c_str(), err.out());
  if (!launched || err) {
    if (launched) gst_object_unref(gst_object_ref_sink(launched));
    *error = err.message("cannot build the pipeline") +
             " (gstreamer1.0-plugins-bad, -nice, -ugly for x264enc)";
    return false;
  }
  s.pipeline.reset(GST_ELEMENT(gst_object_ref_sink(launched)));
  GstBin* bin = GST_BIN(s.pipeline.get());
  // The bin holds them; the pointers stay valid as long as the pipeline.
  auto owned = [&](const char* name) {
    GstPtr<GstElement> e(gst_bin_get_by_name(bin, name));
    return e.get();
  };
  s.webrtc = owned("w");
  s.encoder = owned("enc");
  s.appsrc = owned("clip");
  if (s.appsrc) g_object_set(s.appsrc, "caps", s.clip.caps.get(), nullptr);
  // The gates at the payloaders' inputs: nothing goes before ICE and DTLS are up (webrtcbin
  // would hold it, and send it late, or a queue would drop some of it: a gap in the RTP at
  // the start), then the pictures from a keyframe on. What passes is counted.
  GstElement* vpay = owned("vpay");
  GstPtr<GstPad> vsink(gst_element_get_static_pad(vpay, "sink"));
  gst_pad_add_probe(
      vsink.get(), GST_PAD_PROBE_TYPE_BUFFER,
      +[](GstPad*, GstPadProbeInfo* info, gpointer u) {
        auto* s = static_cast<Sender*>(u);
        if (!s->connected) return GST_PAD_PROBE_DROP;
        const bool delta =
            GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_FLAG_DELTA_UNIT);
        if (s->waitingForKey && delta) return GST_PAD_PROBE_DROP;
        if (s->waitingForKey) s->firstSentUs = g_get_monotonic_time();
        s->waitingForKey = false;
        ++s->videoFrames;
        return GST_PAD_PROBE_OK;
      },
      &s, nullptr);
  if (GstElement* apay = owned("apay")) {
    GstPtr<GstPad> asink(gst_element_get_static_pad(apay, "sink"));
    gst_pad_add_probe(
        asink.get(), GST_PAD_PROBE_TYPE_BUFFER,
        +[](GstPad*, GstPadProbeInfo*, gpointer u) {
          auto* s = static_cast<Sender*>(u);
          if (!s->connected) return GST_PAD_PROBE_DROP;
          ++s->audioPackets;
          return GST_PAD_PROBE_OK;
        },
        &s, nullptr);
  }
  // --freeze-after S: from then on the encoder is given the same picture, with the times of
  // the pictures it replaces (the encoder goes on; the picture stands still).
  if (s.opt.freezeAfter > 0 && s.encoder) {
    GstPtr<GstPad> esink(gst_element_get_static_pad(s.encoder, "sink"));
    gst_pad_add_probe(
        esink.get(), GST_PAD_PROBE_TYPE_BUFFER,
        +[](GstPad*, GstPadProbeInfo* info, gpointer u) {
          auto* s = static_cast<Sender*>(u);
          GstBuffer* in = GST_PAD_PROBE_INFO_BUFFER(info);
          const gint64 first = s->firstSentUs;
          if (!s->still) {
            if (first == 0 || double(g_get_monotonic_time() - first) < s->opt.freezeAfter * 1e6)
              return GST_PAD_PROBE_OK;
            s->still = gst_buffer_copy_deep(in);
            say("the picture stands still from now on");
            return GST_PAD_PROBE_OK;
          }
          GstBuffer* same = gst_buffer_copy(s->still);  // shares the picture's memory
          GST_BUFFER_PTS(same) = GST_BUFFER_PTS(in);
          GST_BUFFER_DTS(same) = GST_BUFFER_DTS(in);
          GST_BUFFER_DURATION(same) = GST_BUFFER_DURATION(in);
          gst_buffer_unref(in);
          GST_PAD_PROBE_INFO_DATA(info) = same;
          return GST_PAD_PROBE_OK;
        },
        &s, nullptr);
  }
  // --lose-first N: the first N video packets lost on the way (a network that drops the
  // start of the session), to see what the province makes of it.
  if (s.loseFirst > 0) {
    GstPtr<GstPad> vsrc(gst_element_get_static_pad(vpay, "src"));
    gst_pad_add_probe(
        vsrc.get(), GST_PAD_PROBE_TYPE_BUFFER,
        +[](GstPad*, GstPadProbeInfo*, gpointer u) {
          auto* s = static_cast<Sender*>(u);
          static int seen = 0;
          // The first packet goes (the receiver's start), the next N do not.
          return ++seen > 1 && seen <= s->loseFirst + 1 ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
        },
        &s, nullptr);
  }
  return true;
}

// The clip's access units pushed in a loop at their own pace, with running times that go on
// from one loop to the next.
void replayClip(Sender& s) {
  gst_element_get_state(s.pipeline.get(), nullptr, nullptr, 5 * GST_SECOND);  // its clock
  GstPtr<GstClock> clock(gst_pipeline_get_clock(GST_PIPELINE(s.pipeline.get())));
  const GstClockTime base = gst_element_get_base_time(s.pipeline.get());
  // Its first picture makes the caps the offer is made of (the gate drops it); the clip
  // plays from its start once the connection is up.
  GstBuffer* first = gst_buffer_copy(s.clip.units.front().get());
  GST_BUFFER_PTS(first) = GST_BUFFER_DTS(first) = gst_clock_get_time(clock.get()) - base;
  if (gst_app_src_push_buffer(GST_APP_SRC(s.appsrc), first) != GST_FLOW_OK) return;
  while (!s.connected && !s.quitting) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const GstClockTime start = gst_clock_get_time(clock.get()) - base;
  for (std::uint64_t round = 0; !s.quitting; ++round) {
    const GstClockTime offset = start + round * s.clip.length - s.clip.first;
    for (const auto& unit : s.clip.units) {
      if (s.quitting) return;
      GstBuffer* b = gst_buffer_copy(unit.get());  // shares the memory, new metadata
      const GstClockTime dts = decodingTime(b) + offset;
      GstClockID at = gst_clock_new_single_shot_id(clock.get(), base + dts);
      gst_clock_id_wait(at, nullptr);
      gst_clock_id_unref(at);
      if (GST_BUFFER_PTS_IS_VALID(b)) GST_BUFFER_PTS(b) += offset;
      if (GST_BUFFER_DTS_IS_VALID(b)) GST_BUFFER_DTS(b) += offset;
      if (round > 0 && &unit == &s.clip.units.front())
        GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DISCONT);
      if (gst_app_src_push_buffer(GST_APP_SRC(s.appsrc), b) != GST_FLOW_OK) return;
    }
  }
}

// Every sink pad of webrtcbin has its caps (the encoders made their first output), so the
// offer can say what is sent: false at `until`.
bool waitForCaps(Sender& s, Steady::time_point until) {
  while (Steady::now() < until && !s.quitting) {
    bool all = true, any = false;
    GstIterator* it = gst_element_iterate_sink_pads(s.webrtc);
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
      any = true;
      all = all && gst_pad_has_current_caps(GST_PAD(g_value_get_object(&v)));
      g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(it);
    if (any && all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

GstWebRTCSessionDescription* promised(GstPromise* p, const char* field) {
  if (gst_promise_wait(p) != GST_PROMISE_RESULT_REPLIED) return nullptr;
  const GstStructure* r = gst_promise_get_reply(p);
  GstWebRTCSessionDescription* d = nullptr;
  if (r && gst_structure_has_field(r, field))
    gst_structure_get(r, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &d, nullptr);
  return d;
}

void setDescription(GstElement* webrtc, const char* signal, GstWebRTCSessionDescription* d) {
  GstPromise* p = gst_promise_new();
  g_signal_emit_by_name(webrtc, signal, d, p);
  gst_promise_wait(p);
  gst_promise_unref(p);
}

// The offer with its ICE candidates (no trickle ICE): "" if gathering is not done by `until`.
std::string gatheredOffer(Sender& s, Steady::time_point until) {
  GArray* transceivers = nullptr;
  g_signal_emit_by_name(s.webrtc, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len; ++i)
    g_object_set(g_array_index(transceivers, GstWebRTCRTPTransceiver*, i), "direction",
                 GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
  if (transceivers) g_array_unref(transceivers);
  GstPromise* p = gst_promise_new();
  g_signal_emit_by_name(s.webrtc, "create-offer", nullptr, p);
  GstWebRTCSessionDescription* offer = promised(p, "offer");
  gst_promise_unref(p);
  if (!offer) return {};
  setDescription(s.webrtc, "set-local-description", offer);
  gst_webrtc_session_description_free(offer);
  for (;;) {
    GstWebRTCICEGatheringState state;
    g_object_get(s.webrtc, "ice-gathering-state", &state, nullptr);
    if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) break;
    if (Steady::now() >= until || s.quitting) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  GstWebRTCSessionDescription* local = nullptr;
  g_object_get(s.webrtc, "local-description", &local, nullptr);
  if (!local) return {};
  gchar* text = gst_sdp_message_as_text(local->sdp);
  std::string sdp = text;
  g_free(text);
  gst_webrtc_session_description_free(local);
  return sdp;
}

long msLeft(Steady::time_point until) {
  return std::max(
      0L,
      static_cast<long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(until - Steady::now()).count()));
}

// ---- Janus VideoRoom signalling (--janus) -----------------------------------------------

std::optional<nlohmann::json> janusPost(const std::string& url, nlohmann::json body,
                                        Steady::time_point until) {
  static std::atomic<int> n{0};
  body["transaction"] = "t" + std::to_string(++n);
  const auto r = ceremony::testing::httpCall("POST", url, "", body.dump(),
                                             std::chrono::milliseconds(std::max(msLeft(until), 1L)),
                                             "application/json");
  if (r.status != 200) return std::nullopt;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || j.value("janus", "") == "error") return std::nullopt;
  return j;
}

std::string idOf(const std::optional<nlohmann::json>& j) {
  if (!j || !j->contains("data") || !(*j)["data"].contains("id")) return {};
  return std::to_string((*j)["data"]["id"].get<std::uint64_t>());
}

// Create, attach, join, publish with `offer`: Janus's SDP answer, or a reason it failed.
std::pair<std::string, std::string> janusPublish(Sender& s, const std::string& offer,
                                                 Steady::time_point until) {
  const std::string base = s.opt.janus;
  const std::string session = idOf(janusPost(base, {{"janus", "create"}}, until));
  if (session.empty()) return {"", "Janus did not create a session at " + base};
  {
    std::lock_guard lock(s.locationMutex);
    s.janusSession = base + "/" + session;
  }
  const std::string handle = idOf(janusPost(
      base + "/" + session, {{"janus", "attach"}, {"plugin", "janus.plugin.videoroom"}}, until));
  if (handle.empty()) return {"", "Janus refused to attach janus.plugin.videoroom"};
  const std::string path = base + "/" + session + "/" + handle;
  const std::string display = s.opt.display.empty() ? "whip_sender" : s.opt.display;
  if (!janusPost(path,
                 {{"janus", "message"},
                  {"body",
                   {{"request", "join"},
                    {"ptype", "publisher"},
                    {"room", s.opt.room},
                    {"display", display}}}},
                 until))
    return {"", "Janus refused the join"};
  if (!janusPost(path,
                 {{"janus", "message"},
                  {"body", {{"request", "publish"}, {"audio", true}, {"video", true}}},
                  {"jsep", {{"type", "offer"}, {"sdp", offer}, {"trickle", false}}}},
                 until))
    return {"", "Janus refused the publish"};
  // The answer comes as an event of the session (the join's own event comes first).
  while (msLeft(until) > 0 && !s.quitting) {
    const auto r = ceremony::testing::httpCall("GET", base + "/" + session + "?maxev=10", "", "",
                                               std::chrono::milliseconds(msLeft(until) + 1));
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded()) continue;
    if (!j.is_array()) j = nlohmann::json::array({j});
    for (const auto& e : j) {
      if (std::to_string(e.value("sender", std::uint64_t{0})) != handle) continue;
      const auto data = e.contains("plugindata") ? e["plugindata"].value("data", nlohmann::json{})
                                                 : nlohmann::json{};
      if (data.contains("error")) return {"", "Janus: " + data["error"].get<std::string>()};
      if (e.contains("jsep")) return {e["jsep"].value("sdp", ""), ""};
    }
  }
  return {"", "no answer from Janus within 10 s"};
}

// Offer, answer, connection: on a thread of its own while the main loop watches signals.
void connect(Sender& s) {
  const auto until = Steady::now() + std::chrono::seconds(10);
  if (!waitForCaps(s, until)) return s.finish(2, "the encoder gave nothing to send within 10 s");
  const std::string offer = gatheredOffer(s, until);
  if (offer.empty()) return s.finish(2, "no offer with its ICE candidates within 10 s");
  ceremony::testing::HttpReply r;
  if (!s.opt.janus.empty()) {
    auto [answer, why] = janusPublish(s, offer, until);
    if (answer.empty()) return s.finish(why.rfind("no answer", 0) == 0 ? 2 : 1, why);
    r.status = 201;
    r.body = answer;
    // A keepalive every 15 s (Janus ends a session with no request for 60 s); its events
    // (other publishers coming and going) are not read: a WHIP sender has none either.
    const std::string session = s.janusSession;
    s.janusPoller = std::thread([&s, session] {
      for (auto next = Steady::now() + std::chrono::seconds(15); !s.quitting;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (Steady::now() < next) continue;
        janusPost(session, {{"janus", "keepalive"}}, Steady::now() + std::chrono::seconds(5));
        next = Steady::now() + std::chrono::seconds(15);
      }
    });
  }
  // 503 is "not now" (the bridge is starting): tried again while the 10 s last.
  for (; s.opt.janus.empty();) {
    r = ceremony::testing::httpCall("POST", s.opt.url, s.token, offer,
                                    std::chrono::milliseconds(std::max(msLeft(until), 1L)),
                                    "application/sdp");
    if (r.status != 503 || msLeft(until) < 500 || s.quitting) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (r.status == 0) return s.finish(2, "no answer from " + origin(s.opt.url) + " within 10 s");
  if (r.status != 201) {
    const char* what = r.status == 401   ? "the point's token was refused"
                       : r.status == 400 ? "the offer was refused"
                       : r.status == 404 ? "no such point, or the bridge is off"
                       : r.status == 415 ? "the offer's content type was refused"
                       : r.status == 503 ? "the bridge is not ready"
                                         : "the offer was not answered";
    return s.finish(
        1, std::string(what) + " (HTTP " + std::to_string(r.status) + "): " + reason(r.body));
  }
  {
    std::lock_guard lock(s.locationMutex);
    s.location = r.location;
  }
  if (r.location.empty() && s.opt.janus.empty())
    complain("the answer has no Location: the session cannot be ended");
  GstSDPMessage* msg = nullptr;
  gst_sdp_message_new_from_text(r.body.c_str(), &msg);
  if (!msg) return s.finish(1, "the answer is not SDP");
  GstWebRTCSessionDescription* answer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg);
  setDescription(s.webrtc, "set-remote-description", answer);
  gst_webrtc_session_description_free(answer);
  // The most the province takes: the encoder keeps under it.
  if (const int cap = videoBandwidth(r.body); s.opt.floodKbps > 0) {
    say("the province takes at most " + std::to_string(cap) + " kbit/s: sending " +
        std::to_string(s.opt.floodKbps) + " kbit/s all the same");
  } else if (cap > 0 && cap < s.opt.kbps) {
    if (s.encoder) {
      g_object_set(s.encoder, "bitrate", guint(cap), nullptr);
      say("the province takes at most " + std::to_string(cap) + " kbit/s: encoding at that");
    } else if (!s.opt.file.empty()) {
      say("the province takes at most " + std::to_string(cap) +
          " kbit/s (the clip is sent as it is)");
    }
  }
  while (!s.connected && !s.quitting && msLeft(until) > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (s.quitting) return;
  if (!s.connected) return s.finish(2, "ICE/DTLS did not connect within 10 s of the start");
  say("sending " + (s.opt.janus.empty() ? pointOf(s.opt.url) : s.opt.display) + " session " +
      (s.opt.janus.empty() ? r.location : s.janusSession));
}

void onConnectionState(GstElement* webrtc, GParamSpec*, gpointer data) {
  auto* s = static_cast<Sender*>(data);
  GstWebRTCPeerConnectionState state;
  g_object_get(webrtc, "connection-state", &state, nullptr);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
    // A keyframe now rather than at the encoder's next (the gate waits for one).
    if (s->encoder && !s->connected)
      gst_element_send_event(
          s->encoder, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    s->connected = true;
  } else if (s->connected && (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
                              state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)) {
    s->connected = false;
    g_idle_add(
        +[](gpointer u) -> gboolean {
          static_cast<Sender*>(u)->finish(4, "the connection to the province dropped");
          return G_SOURCE_REMOVE;
        },
        s);
  }
}

void onStats(GstPromise* promise, gpointer data) {
  auto* s = static_cast<Sender*>(data);
  const GstStructure* reply = gst_promise_get_reply(promise);
  std::uint64_t bytes = 0;
  const int n = reply ? gst_structure_n_fields(reply) : 0;
  for (int i = 0; i < n; ++i) {
    const GValue* value = gst_structure_get_value(reply, gst_structure_nth_field_name(reply, i));
    if (!value || !GST_VALUE_HOLDS_STRUCTURE(value)) continue;
    const GstStructure* st = gst_value_get_structure(value);
    GstWebRTCStatsType type;
    guint64 sent = 0;
    if (gst_structure_get(st, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr) &&
        type == GST_WEBRTC_STATS_OUTBOUND_RTP && gst_structure_get_uint64(st, "bytes-sent", &sent))
      bytes += sent;
  }
  gst_promise_unref(promise);
  if (s->quitting) return;
  const auto now = Steady::now();
  const double secs = s->lastStats ? std::chrono::duration<double>(now - *s->lastStats).count() : 0;
  const long kbps =
      secs > 0 && bytes >= s->lastBytes ? std::lround((bytes - s->lastBytes) * 8 / secs / 1000) : 0;
  s->lastBytes = bytes;
  s->lastStats = now;
  say("stats bytes_sent=" + std::to_string(bytes) + " kbps=" + std::to_string(kbps) +
      " video_frames=" + std::to_string(s->videoFrames.load()) +
      " audio_packets=" + std::to_string(s->audioPackets.load()));
}

std::optional<Options> parseArgs(int argc, char** argv) {
  Options o;
  bool colour = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      complain(a + " needs a value (see the file's header)");
      return std::nullopt;
    }
    const std::string v = argv[++i];
    try {
      if (a == "--url")
        o.url = v;
      else if (a == "--token-file")
        o.tokenFile = v;
      else if (a == "--file")
        o.file = v;
      else if (a == "--color" || a == "--colour")
        o.color = static_cast<unsigned>(std::stoul(v, nullptr, 16)), colour = true;
      else if (a == "--tone-hz")
        o.toneHz = std::stoi(v);
      else if (a == "--width")
        o.width = std::stoi(v);
      else if (a == "--height")
        o.height = std::stoi(v);
      else if (a == "--fps")
        o.fps = std::stoi(v);
      else if (a == "--kbps")
        o.kbps = std::stoi(v);
      else if (a == "--seconds")
        o.seconds = std::stod(v);
      else if (a == "--lose-first")
        o.loseFirst = std::stoi(v);
      else if (a == "--janus")
        o.janus = v;
      else if (a == "--room")
        o.room = std::stoll(v);
      else if (a == "--display")
        o.display = v;
      else if (a == "--freeze-after")
        o.freezeAfter = std::stod(v);
      else if (a == "--flood-kbps")
        o.floodKbps = std::stoi(v);
      else {
        complain("unknown argument " + a + " (see the file's header)");
        return std::nullopt;
      }
    } catch (const std::exception&) {
      complain(a + " " + v + ": not a number");
      return std::nullopt;
    }
  }
  if (!o.janus.empty()) {
    if (!o.url.empty() || o.room <= 0) {
      complain("--janus URL takes --room R (and no --url)");
      return std::nullopt;
    }
  } else if (o.url.empty() || o.tokenFile.empty()) {
    complain("say --url http://host:port/whip/<point> and --token-file F");
    return std::nullopt;
  }
  if (colour && !o.file.empty()) {
    complain("say --color or --file, not both");
    return std::nullopt;
  }
  if ((o.freezeAfter > 0 || o.floodKbps > 0) && !o.file.empty()) {
    complain("--freeze-after and --flood-kbps go with --color, not --file");
    return std::nullopt;
  }
  if (o.width < 16 || o.height < 16 || o.fps < 1 || o.kbps < 16 || o.seconds < 0 ||
      o.freezeAfter < 0 || o.floodKbps < 0) {
    complain("--width, --height, --fps, --kbps or --seconds out of range");
    return std::nullopt;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  auto options = parseArgs(argc, argv);
  if (!options) return 3;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Sender s;
  s.opt = *options;
  s.loseFirst = s.opt.loseFirst;
  if (s.opt.janus.empty()) s.token = readToken(s.opt.tokenFile);
  if (s.opt.janus.empty() && s.token.empty()) {
    complain("no token in " + s.opt.tokenFile);
    return 3;
  }
  if (!s.opt.file.empty())
    if (auto problem = readClip(s.opt.file, &s.clip)) {
      complain(*problem);
      return 3;
    }
  std::string error;
  if (!buildPipeline(s, &error)) {
    complain(error);
    return 3;
  }
  s.loop = g_main_loop_new(nullptr, FALSE);
  g_signal_connect(s.webrtc, "notify::connection-state", G_CALLBACK(onConnectionState), &s);
  for (int sig : {SIGINT, SIGTERM})
    g_unix_signal_add(
        sig,
        +[](gpointer u) -> gboolean {
          static_cast<Sender*>(u)->finish(0, "");
          return G_SOURCE_CONTINUE;
        },
        &s);
  GstPtr<GstBus> bus(gst_element_get_bus(s.pipeline.get()));
  gst_bus_add_watch(
      bus.get(),
      +[](GstBus*, GstMessage* m, gpointer u) -> gboolean {
        if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
          auto p = ceremony::media::parseProblem(m);
          static_cast<Sender*>(u)->finish(3, "GStreamer: " + p.error.message("an error"));
        }
        return G_SOURCE_CONTINUE;
      },
      &s);
  g_timeout_add(
      1000,
      +[](gpointer u) -> gboolean {
        auto* s = static_cast<Sender*>(u);
        if (s->connected && !s->quitting)
          g_signal_emit_by_name(s->webrtc, "get-stats", nullptr,
                                gst_promise_new_with_change_func(onStats, s, nullptr));
        return G_SOURCE_CONTINUE;
      },
      &s);
  if (s.opt.seconds > 0) {
    // Counted from the connection: checked every 100 ms.
    static Steady::time_point since{};
    g_timeout_add(
        100,
        +[](gpointer u) -> gboolean {
          auto* s = static_cast<Sender*>(u);
          if (!s->connected) return G_SOURCE_CONTINUE;
          if (since == Steady::time_point{}) since = Steady::now();
          if (std::chrono::duration<double>(Steady::now() - since).count() >= s->opt.seconds)
            s->finish(0, "");
          return G_SOURCE_CONTINUE;
        },
        &s);
  }
  if (gst_element_set_state(s.pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    complain("the pipeline does not start");
    return 3;
  }
  // The clip plays from the start, as a camera would: its caps make the offer.
  std::thread player([&] {
    if (s.appsrc) replayClip(s);
  });
  std::thread connector([&] { connect(s); });
  g_main_loop_run(s.loop);
  s.quitting = true;
  player.join();
  std::string location;
  {
    std::lock_guard lock(s.locationMutex);
    location = s.location;
  }
  if (!location.empty()) {
    const std::string url = location.front() == '/' ? origin(s.opt.url) + location : location;
    const auto r =
        ceremony::testing::httpCall("DELETE", url, s.token, "", std::chrono::milliseconds(2000));
    if (r.status == 404)
      say("the province had already ended session " + location);
    else if (r.status < 200 || r.status >= 300)
      complain("DELETE " + location + " answered " +
               (r.status ? std::to_string(r.status) : std::string("nothing")));
  }
  gst_element_set_state(s.pipeline.get(), GST_STATE_NULL);
  if (s.still) gst_buffer_unref(s.still);
  connector.join();
  // The connector has ended: its poller and session are what they are.
  if (s.janusPoller.joinable()) s.janusPoller.join();
  if (!s.janusSession.empty())
    janusPost(s.janusSession, {{"janus", "destroy"}}, Steady::now() + std::chrono::seconds(2));
  s.pipeline.reset();
  g_main_loop_unref(s.loop);
  curl_global_cleanup();
  return s.exitCode;
}
