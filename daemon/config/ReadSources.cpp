// [sources.<id>]: the inputs: test signals, URIs, stills and GStreamer fragments.
#include "config/ConfigTables.h"

#include "config/PercentEncoding.h"
#include "config/Secrets.h"

namespace ceremony::reading {

namespace {

const std::vector<std::string_view> kUriSchemes = {"srt", "rtsp", "rtmp", "rtmps",
                                                   "udp", "file", "http", "https"};

const std::vector<KindKeys> kSourceKinds = {
    {"test", {"pattern", "tone_hz", "clock"}},
    {"uri", {"uri", "signal_timeout", "expect_motion"}},
    {"image", {"path"}},
    {"launch", {"video", "audio", "signal_timeout", "expect_motion"}},
    {"point", {"point", "signal_timeout", "expect_motion"}}};

std::string checkSourceUri(Reading& run, const std::string& uri, const toml::node& n,
                           const std::string& where) {
  auto sep = uri.find("://");
  std::string scheme = sep == std::string::npos ? std::string{} : lower(uri.substr(0, sep));
  if (!contains(kUriSchemes, scheme)) {
    run.ctx.error(positionOf(n), where + " uri " + inQuotes(redactUrl(uri)) +
                                     " must start with one of " + joinList(kUriSchemes) +
                                     " followed by ://");
    return uri;
  }
  if (scheme != "file") return uri;
  // file:///abs/path; "file://media/x.mp4" is read as relative to the config file.
  std::string rest = percentDecodeLenient(uri.substr(sep + 3));
  fs::path p = run.ctx.resolve(rest);
  if (!isRegularFile(p)) {
    run.ctx.error(positionOf(n), where + " the file " + inQuotes(rest) +
                                     " named by the uri does not exist (looked for " +
                                     inQuotes(p.string()) + ")");
    return uri;
  }
  return "file://" + percentEncode(p.string(), "/");
}

}  // namespace

void readSources(Reading& run, const toml::node* n) {
  forEachEntry(
      run.ctx, n, "sources",
      [&](const toml::key& key, const toml::table& t, const std::string& where) {
        Fields f(run.ctx, t, where);
        SourceConfig s;
        s.id = std::string(key.str());
        s.pos = f.pos();
        run.declaredSources.insert(s.id);
        if (auto v = f.text("label")) s.label = *v;
        auto kind = readKind(run.ctx, f, key, "source", kSourceKinds);
        if (!kind) return;
        if (*kind == "test") {
          s.kind = SourceKind::Test;
          if (auto v = f.text("pattern")) {
            if (contains(kTestPatterns, *v))
              s.pattern = *v;
            else
              run.ctx.error(positionOf(*t.get("pattern")), where + " pattern " + inQuotes(*v) +
                                                               " is not a test pattern (such as " +
                                                               "smpte, ball, snow, red, colors)" +
                                                               suggestion(*v, kTestPatterns));
          }
          if (const toml::node* tone = t.get("tone_hz")) {
            if (auto v = f.number("tone_hz")) {
              if (!(*v >= 0 && *v <= 20000))  // also NaN
                run.ctx.error(positionOf(*tone), where +
                                                     " tone_hz must be between 0 (silence) and "
                                                     "20000, not " +
                                                     shown(*tone));
              else
                s.toneHz = *v;
            }
          }
          if (auto v = f.boolean("clock")) s.clock = *v;
        } else if (*kind == "uri") {
          s.kind = SourceKind::Uri;
          if (auto v = f.requiredText("uri", " (for example \"srt://0.0.0.0:9000?mode=listener\")"))
            s.uri = checkSourceUri(run, *v, *t.get("uri"), where);
        } else if (*kind == "image") {
          s.kind = SourceKind::Image;
          if (auto v = f.requiredText("path", " (the still image, PNG or JPEG)")) {
            fs::path p = run.ctx.resolve(*v);
            if (!isRegularFile(p))
              run.ctx.error(positionOf(*t.get("path")), where + " the image file " + inQuotes(*v) +
                                                            " does not exist (looked for " +
                                                            inQuotes(p.string()) + ")");
            s.path = p.string();
          }
        } else if (*kind == "point") {
          s.kind = SourceKind::Point;
          // A return feed over the internet: a frame late by more than this is a lost
          // signal, so a commune that closes its page is off the programme within a second.
          s.signalTimeout = Millis{700};
          if (auto v =
                  f.requiredText("point", " (the connection point's id, e.g. \"nghia-hanh\")")) {
            s.point = *v;
            s.pointAt = positionOf(*t.get("point"));
          }
        } else {
          s.kind = SourceKind::Launch;
          if (auto v = f.requiredText("video",
                                      " (a GStreamer fragment producing raw video, "
                                      "e.g. \"v4l2src device=/dev/video0\")"))
            s.videoLaunch = *v;
          if (auto v = f.text("audio")) s.audioLaunch = *v;
        }
        const bool live = s.kind == SourceKind::Uri || s.kind == SourceKind::Launch ||
                          s.kind == SourceKind::Point;
        if (live)
          if (const toml::node* d = f.take("signal_timeout"))
            if (auto v = durationOf(run.ctx, *d, f, "signal_timeout")) {
              if (*v < Millis{100} || *v > Millis{60000})
                run.ctx.error(positionOf(*d), where + " signal_timeout " + shown(*d) +
                                                  " must be between 100ms and 60s (the time "
                                                  "without a frame after which the input counts "
                                                  "as lost)");
              else
                s.signalTimeout = *v;
            }
        if (live)
          if (auto v = f.boolean("expect_motion")) s.expectMotion = *v;
        f.reportUnread({"kind", "label"}, kSourceKinds, *kind);
        run.config.sources.push_back(std::move(s));
      });
}

}  // namespace ceremony::reading
