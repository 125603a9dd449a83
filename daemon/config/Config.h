#pragma once
// The ceremony as the technical team wrote it: event, programme format, sources,
// scenes, outputs and the run-of-show. Plain data; parsing and checks live in
// ConfigParser, the schema is documented in config/README.md.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/WallTime.h"
#include "health/HealthConfig.h"

namespace ceremony {

// Where a value sits in its file, for messages that point at it.
struct Position {
  int line = 0;
  int column = 0;
};

struct EventInfo {
  std::string title;
  std::string date;               // "2025-07-28"
  int utcOffsetMinutes = 7 * 60;  // Vietnam: +07:00 all year
  std::string venue;
};

// Facebook Live ingest rules are the defaults (BRIEF.md).
struct ProgrammeFormat {
  int width = 1280;
  int height = 720;
  int fps = 30;
  int videoBitrateKbps = 3500;  // CBR
  double keyframeIntervalSeconds = 2.0;
  std::string h264Profile = "main";  // main | high
  std::string x264Preset = "veryfast";
  int audioBitrateKbps = 128;  // AAC-LC
  int audioRate = 48000;
  int audioChannels = 2;
  std::string font = "Noto Sans";  // Pango font family for slates and lower thirds
};

enum class SourceKind { Test, Uri, Image, Launch, Point };

struct SourceConfig {
  std::string id;
  SourceKind kind = SourceKind::Test;
  std::string label;  // what operators call it, e.g. "Camera hội trường"
  // test: videotestsrc pattern name ("smpte", "ball", "red", ...) and tone (0 = silence)
  std::string pattern = "smpte";
  double toneHz = 440.0;
  // test: burn the wall clock into every frame (a strip of blocks a browser can read back,
  // see pipelines/programme/ClockStrip.h): rehearsals and measuring the delay to the points.
  bool clock = false;
  std::string uri;          // uri: srt:// rtsp:// rtmp:// udp:// file://
  std::string path;         // image: absolute path of a still (PNG/JPEG)
  std::string videoLaunch;  // launch: gst-launch fragment producing raw video
  std::string audioLaunch;  // launch: optional fragment producing raw audio
  // point: the connection point whose return feed this is (its camera and microphone, sent
  // back over WHIP); its card says the commune has no signal while it is not sending.
  std::string point;
  Position pointAt;  // where `point` was written, for the check against the points
  // uri/launch/point (live inputs): no frame for this long counts as a lost signal, and the
  // input's "Mất tín hiệu" card takes its place until frames flow again.
  Millis signalTimeout{1000};
  // uri/launch: a picture that stays the same for [watch] freeze_after while frames still
  // come counts as lost too (a hung camera or encoder). false for a feed that is meant to
  // stand still: slides from a computer, a document camera.
  bool expectMotion = true;
  Position pos;
};

enum class SceneKind { Source, Slate, Clip, PictureInPicture, SideBySide, Mosaic };

struct SlateConfig {
  std::string text;                        // the line under the event title
  std::optional<std::string> countdownTo;  // "14:00": shows "Bắt đầu sau 12:34"
  std::string background = "#7a0c0c";
};

struct ClipConfig {
  std::string file;                // absolute path of a media file; or a generated test clip:
  std::string testPattern;         // videotestsrc pattern of a generated clip
  double testDurationSeconds = 0;  // length of the generated clip
  bool isTest() const { return file.empty(); }
};

struct SceneConfig {
  std::string id;
  SceneKind kind = SceneKind::Source;
  std::string label;
  std::string source;  // Source: the full-screen source
  std::string main;    // PictureInPicture / SideBySide: the two sources
  std::string inset;
  std::string insetPosition = "bottom-right";  // top-left | top-right | bottom-left | bottom-right
  SlateConfig slate;
  ClipConfig clip;
  // Mosaic: a grid of the points that are sending their picture back, each tile with the
  // commune's name; `points` fixes which (in that order), otherwise every point sending, in
  // the points' order. More senders than tiles: a page of them every `page`.
  int columns = 3;
  int rows = 3;
  std::vector<std::string> points;
  std::vector<Position> pointsAt;
  Millis page{10000};
  std::string audio;  // the source heard while it is on (e.g. the hall); none: silence
  Position pos;
  int tiles() const { return columns * rows; }
};

struct LowerThird {
  std::string name;  // "Nguyễn Văn A"
  std::string role;  // "Phó Chủ tịch UBND tỉnh"
  bool empty() const { return name.empty() && role.empty(); }
};

enum class OutputKind { Rtmp, Record };
const char* outputKindName(OutputKind k);  // "rtmp" | "record"

struct OutputConfig {
  std::string id;
  OutputKind kind = OutputKind::Rtmp;
  std::string label;
  // rtmp: the ingest URL without the key, e.g. "rtmps://live-api-s.facebook.com:443/rtmp/".
  // The stream key comes from key_file or the systemd credential key_credential and is
  // appended to the URL only inside the media core; it is never logged or returned.
  std::string url;
  std::string keyFile;
  std::string keyCredential;
  bool keyRequired = true;    // false for --rtmp URLs and local test servers
  bool tlsValidation = true;  // rtmps: check the server certificate (off only for rehearsals)
  std::string directory;      // record: where recordings go
  Millis segment{600000};     // record: a new file this often (cut on a keyframe)
  bool enabled = true;
  Position pos;
};

enum class CueMode { At, After, Manual };

struct ItemConfig {
  std::string id;
  std::string title;
  CueMode cue = CueMode::At;
  // Planned start: an absolute wall-clock time ("14:10" on the event date in the event's
  // timezone) or an offset after the previous item's planned end ("+30s").
  std::optional<WallTime> start;
  std::optional<Millis> startAfterPrevious;
  // Planned end: absolute, or a duration from the start. Neither = open-ended until the
  // next item (or, for clips, until the clip ends).
  std::optional<WallTime> end;
  std::optional<Millis> duration;
  std::string scene;
  LowerThird lowerThird;
  // The launch moment (e.g. pressing the launch button): the report counts the points
  // connected when it starts. At most one item.
  bool launch = false;
  // Whether the programme must have sound during the item ([watch] alerts on its silence).
  // Unset: yes for an item showing a source (a speech, the hall), no for a clip (a film's
  // own silence) or a slate.
  std::optional<bool> expectSound;
  Position pos;
};

// What the daemon listens to and looks at while the ceremony runs ([watch]): the
// programme's loudness (EBU R128 / ITU-R BS.1770) and silence, the live inputs' pictures
// (frozen, black). The defaults are meant to be left alone.
struct WatchConfig {
  bool enabled = true;
  // Momentary loudness under this is silence; this long of it in an item that expects sound
  // is an alert naming the item.
  double silenceBelowLufs = -60;
  Millis silenceAfter{10000};
  // A true peak over this is clipping (one alert, then at most one a minute).
  double truePeakMaxDbtp = -1;
  // Facebook's recommendation: short-term loudness within target ± tolerance; outside it
  // for off_target_after is an alert.
  double targetLufs = -16;
  double toleranceLu = 4;
  Millis offTargetAfter{60000};
  // Off by default: a slow gain that keeps the programme near the target, never above
  // true_peak_max, never more than max_gain_db up or down.
  bool autoGain = false;
  double maxGainDb = 12;
  // Live inputs: the same frame this long while frames still come → the input's card;
  // black this long → an alert.
  Millis freezeAfter{5000};
  Millis blackAfter{5000};
  Position pos;
};

// The control API and dashboard (daemon/api/README.md). Tokens come from files or systemd
// credentials, never from the config text.
struct ApiConfig {
  std::string listen = "127.0.0.1:8080";  // address:port; port 0 picks a free one
  std::string viewerTokenFile;
  std::string viewerTokenCredential;
  std::string operatorTokenFile;
  std::string operatorTokenCredential;
  // Connections at once (0 = a quarter of the descriptor limit), per client address, and
  // live event streams (the dashboard's) in all and per address. See api/HttpServer.h.
  int maxConnections = 0;
  int maxConnectionsPerAddress = 64;
  int maxStreams = 256;
  int maxStreamsPerAddress = 16;
  // HTTPS: the certificate chain and its private key, PEM, each from a file or a systemd
  // credential (both or neither). Required when the API listens beyond loopback.
  std::string tlsCertificateFile, tlsCertificateCredential;
  std::string tlsKeyFile, tlsKeyCredential;
  bool tls() const { return !(tlsCertificateFile.empty() && tlsCertificateCredential.empty()); }
  // The host names browsers may reach the API by (a Host header that is one of these, an IP
  // address or "localhost"); any other name is refused, against DNS rebinding.
  std::vector<std::string> serverNames;
  Position pos;
};

// The video bridge (pipelines/bridge/): connection points watch the programme over WebRTC
// (WHEP) at /diem-cau/<point-id>, from the same encode that goes to Facebook.
struct BridgeConfig {
  bool enabled = false;
  int maxViewers = 150;       // a viewer past this gets 503
  int audioBitrateKbps = 64;  // the one Opus encode of the programme's sound
  // The most a point may send back (its camera over WHIP): the answer says so (b=AS).
  int returnBitrateKbps = 1500;
  // A point that sends more than this many times its b=AS for 5 s is cut off (it may call
  // again): one commune's runaway encoder must not eat the province's line.
  double returnFloodFactor = 3;
  // SRT for hardware decoders and VLC: where the one listener waits ("" = no SRT) and the
  // latency it asks of callers.
  std::string srtListen;
  int srtLatencyMs = 200;
  // SRT the other way: the UDP port where points' encoders publish their camera (MPEG-TS,
  // streamid #!::r=<point>,m=publish, the point's token as passphrase); 0 = off. It listens on
  // srt_listen's address, else `address`, else every interface.
  int srtPublishPort = 0;
  // A media server's RTP mountpoint that fans the programme out further ("" = none):
  // "host:port" for the H.264 and for the Opus RTP.
  std::string relayVideo, relayAudio;
  // WebRTC: the address the points are told to reach ("" = every interface's) and the UDP
  // ports the sessions take (0, 0 = any), for the province's firewall.
  std::string address;
  int udpPortMin = 0, udpPortMax = 0;
  Position pos;
};

// "127.0.0.1:8080", "[::1]:8080": where a server listens. Port 0 picks a free one.
struct ListenAddress {
  std::string host;  // without the brackets of an IPv6 address
  std::uint16_t port = 0;
};
// nullopt unless `text` is ADDRESS:PORT with a port of 0–65535.
std::optional<ListenAddress> parseListenAddress(std::string_view text);

struct Config {
  std::string path;  // the file it came from ("<demo>" for the embedded one)
  EventInfo event;
  ProgrammeFormat format;
  std::vector<SourceConfig> sources;
  std::vector<SceneConfig> scenes;
  std::vector<OutputConfig> outputs;
  std::vector<ItemConfig> timeline;
  health::HealthConfig health;
  ApiConfig api;
  BridgeConfig bridge;
  WatchConfig watch;

  const SourceConfig* findSource(const std::string& id) const;
  const SceneConfig* findScene(const std::string& id) const;
  const OutputConfig* findOutput(const std::string& id) const;
};

// The Quảng Ngãi demo ceremony compiled into the binary (config/quang-ngai-2025-07-28.toml).
std::string_view embeddedDemoConfig();

}  // namespace ceremony
