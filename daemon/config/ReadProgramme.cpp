// [programme]: the encode that goes to Facebook Live, within its ingest rules.
#include "config/ConfigTables.h"

#include <string>
#include <utility>

namespace ceremony::reading {

namespace {

const std::vector<std::string_view> kX264Presets = {
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"};

}  // namespace

void readProgramme(Reading& run, const toml::node* n) {
  const toml::table* t = expectTable(run.ctx, n, "[programme]", "[programme] with width = … etc.");
  if (!t) return;
  Fields f(run.ctx, *t, "[programme]");
  ProgrammeFormat& p = run.config.format;
  if (auto v = f.integer("width", 16, 7680)) p.width = static_cast<int>(*v);
  if (auto v = f.integer("height", 16, 4320)) p.height = static_cast<int>(*v);
  for (auto [key, value] : {std::pair{"width", p.width}, std::pair{"height", p.height}}) {
    if (value % 2 != 0)
      run.ctx.error(positionOf(*t->get(key)), "[programme] " + std::string(key) + " " +
                                                  std::to_string(value) +
                                                  " must be even (H.264 4:2:0 needs it)");
  }
  if (auto v = f.integer("fps", 1, 120)) {
    p.fps = static_cast<int>(*v);
    if (p.fps != 25 && p.fps != 30 && p.fps != 50 && p.fps != 60)
      run.ctx.warning(positionOf(*t->get("fps")),
                      "[programme] fps " + std::to_string(p.fps) +
                          " is unusual; Facebook Live expects 25, 30, 50 or 60");
  }
  if (auto v = f.integer("video_bitrate_kbps", 100, 60000)) p.videoBitrateKbps = *v;
  {
    Position bp =
        t->get("video_bitrate_kbps") ? positionOf(*t->get("video_bitrate_kbps")) : f.pos();
    auto warnRange = [&](const char* res, int lo, int hi) {
      if (p.videoBitrateKbps < lo || p.videoBitrateKbps > hi)
        run.ctx.warning(bp, "[programme] video_bitrate_kbps " + std::to_string(p.videoBitrateKbps) +
                                " is outside " + std::to_string(lo) + "–" + std::to_string(hi) +
                                " kbps, the range Facebook Live recommends for " + res);
    };
    if (p.height == 720) warnRange("720p", 1500, 4000);
    if (p.height == 1080) warnRange("1080p", 3000, 6000);
  }
  if (const toml::node* k = t->get("keyframe_interval_s")) {
    if (auto v = f.number("keyframe_interval_s")) {
      if (!(*v > 0))  // also NaN
        run.ctx.error(positionOf(*k),
                      "[programme] keyframe_interval_s must be more than 0, not " + shown(*k));
      else if (*v > 4)
        run.ctx.error(positionOf(*k), "[programme] keyframe_interval_s " + shown(*k) +
                                          " is too long: Facebook Live needs a keyframe at least "
                                          "every 4 s (2 s recommended)");
      else
        p.keyframeIntervalSeconds = *v;
    }
  }
  if (auto v = f.text("h264_profile")) {
    if (*v == "main" || *v == "high")
      p.h264Profile = *v;
    else
      run.ctx.error(positionOf(*t->get("h264_profile")),
                    "[programme] h264_profile " + inQuotes(*v) +
                        " is not allowed; Facebook Live takes \"main\" or \"high\"");
  }
  if (auto v = f.text("x264_preset")) {
    if (contains(kX264Presets, *v))
      p.x264Preset = *v;
    else
      run.ctx.error(positionOf(*t->get("x264_preset")),
                    "[programme] x264_preset " + inQuotes(*v) + " is not an x264 preset (" +
                        joinList(kX264Presets) + ")" + suggestion(*v, kX264Presets));
  }
  if (auto v = f.integer("audio_bitrate_kbps", 32, 512)) p.audioBitrateKbps = *v;
  if (const toml::node* r = t->get("audio_rate")) {
    if (auto v = f.integer("audio_rate", 0, 1'000'000)) {
      if (*v == 44100 || *v == 48000)
        p.audioRate = static_cast<int>(*v);
      else
        run.ctx.error(positionOf(*r), "[programme] audio_rate " + std::to_string(*v) +
                                          " is not allowed; Facebook Live takes 44100 or 48000");
    }
  }
  if (auto v = f.integer("audio_channels", 1, 2)) p.audioChannels = static_cast<int>(*v);
  if (auto v = f.text("font")) {
    if (v->empty())
      run.ctx.error(positionOf(*t->get("font")), "[programme] font is empty");
    else
      p.font = *v;
  }
  f.reportUnread({"width", "height", "fps", "video_bitrate_kbps", "keyframe_interval_s",
                  "h264_profile", "x264_preset", "audio_bitrate_kbps", "audio_rate",
                  "audio_channels", "font"});
}

}  // namespace ceremony::reading
