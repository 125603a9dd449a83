#include "pipelines/programme/Cards.h"

#include <cstdio>

#include "pipelines/GstPtr.h"
#include "pipelines/programme/MediaBins.h"

namespace ceremony::media {

using namespace bins;

Card makeCard(const ProgrammeFormat& f, const std::string& binName, const CardLines& lines) {
  Card card;
  GstElement* bin = gst_bin_new(binName.c_str());
  // The card is drawn once (one frame: background, title, text) and repeated live by
  // imagefreeze; only the countdown is drawn per frame, and only while it shows something.
  // Every card runs all the time, on air or not: drawn per frame, the pre-show card alone
  // cost ~0.13 CPU-s/s for the whole ceremony (tests/bench/README.md, "Media").
  GstElement* bg = make("videotestsrc");
  GstElement* freeze = make("imagefreeze");
  if (!allMadeOrDropped({bin, bg, freeze})) return card;
  gst_util_set_object_arg(G_OBJECT(bg), "pattern", "solid-color");
  g_object_set(bg, "num-buffers", 1, "foreground-color", argbFromHex(lines.background), nullptr);
  GstElement* caps = capsfilter(rawVideoCaps(f, true));
  g_object_set(freeze, "is-live", TRUE, nullptr);
  // kCardFps frames a second keep the countdown (and a title set later) within 1/kCardFps s
  // and save each card's thread and the compositor ~25 wake-ups a second.
  GstCaps* cardCaps = rawVideoCaps(f, true);
  gst_caps_set_simple(cardCaps, "framerate", GST_TYPE_FRACTION, kCardFps, 1, nullptr);
  GstElement* rate = capsfilter(cardCaps);
  auto overlay = [&](const std::string& line, int px, const char* valign, bool bold) {
    GstElement* t = make("textoverlay");
    const std::string font = f.font + (bold ? " Bold " : " ") + std::to_string(px) + "px";
    // auto-resize would scale the px sizes by width/640 (twice too big at 720p): sizes here
    // are already in the programme's pixels.
    g_object_set(t, "text", line.c_str(), "font-desc", font.c_str(), "wrap-mode", 2,
                 "shaded-background", FALSE, "draw-shadow", TRUE, "auto-resize", FALSE, nullptr);
    gst_util_set_object_arg(G_OBJECT(t), "valignment", valign);
    gst_util_set_object_arg(G_OBJECT(t), "halignment", "center");
    gst_util_set_object_arg(G_OBJECT(t), "line-alignment", "center");
    return t;
  };
  GstElement* top = overlay(lines.title, f.height / 20, "top", true);
  g_object_set(top, "ypad", f.height / 10, "xpad", f.width / 16, nullptr);
  GstElement* middle = overlay(lines.text, f.height / 14, "center", true);
  GstElement* last = rate;
  if (lines.liveTitle) {
    // A title set later (setting it costs nothing while silent): drawn per frame.
    gst_bin_add_many(GST_BIN(bin), bg, caps, middle, freeze, rate, top, nullptr);
    gst_element_link_many(bg, caps, middle, freeze, rate, top, nullptr);
    g_object_set(top, "silent", TRUE, nullptr);
    card.liveTitle = top;
    last = top;
  } else {
    gst_bin_add_many(GST_BIN(bin), bg, caps, top, middle, freeze, rate, nullptr);
    gst_element_link_many(bg, caps, top, middle, freeze, rate, nullptr);
  }
  if (lines.countdown) {
    card.countdown = overlay("", f.height / 22, "bottom", false);
    g_object_set(card.countdown, "ypad", f.height / 8, nullptr);
    gst_bin_add(GST_BIN(bin), card.countdown);
    gst_element_link(last, card.countdown);
    last = card.countdown;
  }
  ghost(bin, last, "src", "video");
  card.bin = bin;
  return card;
}

std::string formatCountdown(long long seconds) {
  if (seconds <= 0) return "";
  char buf[64];
  if (seconds >= 3600)
    std::snprintf(buf, sizeof buf, "Bắt đầu sau %lld:%02lld:%02lld", seconds / 3600,
                  seconds / 60 % 60, seconds % 60);
  else
    std::snprintf(buf, sizeof buf, "Bắt đầu sau %02lld:%02lld", seconds / 60, seconds % 60);
  return buf;
}

void Countdowns::set(const std::string& sceneId, WallTime target) {
  auto it = lines_.find(sceneId);
  if (it != lines_.end()) running_[sceneId] = Countdown{target, it->second};
}

void Countdowns::tick(WallTime now) {
  for (auto& [id, c] : running_) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(c.target - now).count();
    g_object_set(c.line, "text", formatCountdown(left).c_str(), nullptr);
  }
}

}  // namespace ceremony::media
