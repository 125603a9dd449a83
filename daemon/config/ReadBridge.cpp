// [bridge]: the video bridge to the connection points (WHEP, SRT, an RTP relay).
#include "config/ConfigTables.h"

#include <arpa/inet.h>

#include <string>
#include <utility>

namespace ceremony::reading {

void readBridge(Reading& run, const toml::node* n) {
  if (!n) return;
  const toml::table* t = expectTable(run.ctx, n, "[bridge]", "[bridge] with enabled = true");
  if (!t) return;
  Fields f(run.ctx, *t, "[bridge]");
  BridgeConfig& b = run.config.bridge;
  b.pos = f.pos();
  b.enabled = true;  // a [bridge] table turns it on unless it says otherwise
  if (auto v = f.boolean("enabled")) b.enabled = *v;
  if (auto v = f.integer("max_viewers", 1, 1000)) b.maxViewers = int(*v);
  if (auto v = f.integer("audio_bitrate_kbps", 16, 256)) b.audioBitrateKbps = int(*v);
  if (auto v = f.integer("return_bitrate_kbps", 100, 8000)) b.returnBitrateKbps = int(*v);
  if (auto v = f.number("return_flood_factor")) {
    if (!(*v >= 1.5 && *v <= 20))  // also NaN
      run.ctx.error(positionOf(*t->get("return_flood_factor")),
                    "[bridge] return_flood_factor must be between 1.5 and 20 (how many times "
                    "return_bitrate_kbps a point may send for 5 s before it is cut off), not " +
                        shown(*t->get("return_flood_factor")));
    else
      b.returnFloodFactor = *v;
  }
  if (auto v = f.text("srt_listen")) {
    const auto a = parseListenAddress(*v);
    if (!a || a->port == 0)
      run.ctx.error(positionOf(*t->get("srt_listen")),
                    "[bridge] srt_listen " + inQuotes(*v) +
                        " must be an address and a port, e.g. \"0.0.0.0:9000\"");
    else
      b.srtListen = *v;
  }
  if (auto v = f.integer("srt_latency_ms", 20, 8000)) b.srtLatencyMs = int(*v);
  if (auto v = f.integer("srt_publish_port", 0, 65535)) {
    const auto listen = parseListenAddress(b.srtListen);
    if (*v != 0 && listen && listen->port == *v)
      run.ctx.error(positionOf(*t->get("srt_publish_port")),
                    "[bridge] srt_publish_port " + std::to_string(*v) +
                        " is srt_listen's port: the points' encoders publish on a port of their "
                        "own");
    else
      b.srtPublishPort = int(*v);
  }
  for (auto [key, into] :
       {std::pair{"relay_video", &b.relayVideo}, std::pair{"relay_audio", &b.relayAudio}}) {
    auto v = f.text(key);
    if (!v) continue;
    const auto a = parseListenAddress(*v);
    if (!a || a->port == 0 || a->host.empty() || a->host == "0.0.0.0" || a->host == "::")
      run.ctx.error(positionOf(*t->get(key)),
                    std::string("[bridge] ") + key + " " + inQuotes(*v) +
                        " must be the media server's address and RTP port, e.g. "
                        "\"10.0.0.5:5004\"");
    else
      *into = *v;
  }
  if (auto v = f.text("address")) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, v->c_str(), buf) != 1 && inet_pton(AF_INET6, v->c_str(), buf) != 1)
      run.ctx.error(positionOf(*t->get("address")),
                    "[bridge] address " + inQuotes(*v) +
                        " must be an IP address of this machine that the points can reach, e.g. "
                        "\"203.0.113.10\"");
    else
      b.address = *v;
  }
  const auto portMin = f.integer("udp_port_min", 1024, 65535);
  const auto portMax = f.integer("udp_port_max", 1024, 65535);
  if (portMin.has_value() != portMax.has_value()) {
    run.ctx.error(b.pos,
                  "[bridge] udp_port_min and udp_port_max go together: the range of UDP "
                  "ports the viewers' sessions take");
  } else if (portMin && portMax) {
    if (*portMax < *portMin)
      run.ctx.error(positionOf(*t->get("udp_port_max")),
                    "[bridge] udp_port_max must not be below udp_port_min");
    else if (*portMax - *portMin + 1 < b.maxViewers)
      run.ctx.error(
          positionOf(*t->get("udp_port_max")),
          "[bridge] udp_port_min–udp_port_max holds " + std::to_string(*portMax - *portMin + 1) +
              " ports: each viewer takes one, and max_viewers is " + std::to_string(b.maxViewers));
    else {
      b.udpPortMin = int(*portMin);
      b.udpPortMax = int(*portMax);
    }
  }
  if (b.relayVideo.empty() != b.relayAudio.empty())
    run.ctx.error(b.pos,
                  "[bridge] relay_video and relay_audio go together: the media server's "
                  "mountpoint takes the picture and the sound on a port each");
  // [programme] h264_profile is main or high, both of which browsers decode over WebRTC:
  // the bridge sends the programme's own encode.
  f.reportUnread({"enabled", "max_viewers", "audio_bitrate_kbps", "return_bitrate_kbps",
                  "return_flood_factor", "srt_listen", "srt_latency_ms", "srt_publish_port",
                  "relay_video", "relay_audio", "address", "udp_port_min", "udp_port_max"});
}

}  // namespace ceremony::reading
