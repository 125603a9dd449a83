#pragma once
// Cards: the slates of the run-of-show ("Chương trình sắp bắt đầu", with a countdown) and
// the grey stand-ins shown in place of a lost input or a clip that cannot play. Each is a
// bin with one "video" pad at the programme's size, drawn once and repeated live.

#include <gst/gst.h>

#include <map>
#include <string>

#include "config/Config.h"

namespace ceremony::media {

// Frames a second of a card: a still needs no 30; the compositor repeats each frame.
inline constexpr int kCardFps = 5;
// The background of stand-in cards: plain grey, unlike any slate of the ceremony.
inline const std::string kCardGrey = "#3a3a3a";

struct Card {
  GstElement* bin = nullptr;        // floating until added to a pipeline
  GstElement* countdown = nullptr;  // its countdown line, when asked for (set "text" on it)
  GstElement* liveTitle = nullptr;  // its title line drawn per frame, when asked for (silent)
};

struct CardLines {
  std::string title;  // at the top
  std::string text;   // in the middle
  std::string background = kCardGrey;
  bool countdown = false;  // a line at the bottom, empty until set
  bool liveTitle = false;  // the title set later (a failed clip's item title)
};

// nullptr in `bin` when an element is missing.
Card makeCard(const ProgrammeFormat& f, const std::string& binName, const CardLines& lines);

// "Bắt đầu sau 04:59", "Bắt đầu sau 1:00:00"; "" once the time has come.
std::string formatCountdown(long long seconds);

// The countdown lines of the slates (io_context thread only): each slate scene's line, and
// the target of those counting down, redrawn once a second.
class Countdowns {
 public:
  // While the programme is built: the countdown line of a slate scene's card.
  void addSlate(const std::string& sceneId, GstElement* line) { lines_[sceneId] = line; }
  // Counts down to `target` on the slate of `sceneId` (ignored for a scene with no slate).
  void set(const std::string& sceneId, WallTime target);
  // Once a second: every countdown's text at `now`.
  void tick(WallTime now);

 private:
  struct Countdown {
    WallTime target;
    GstElement* line;
  };
  std::map<std::string, GstElement*> lines_;  // owned by the programme pipeline
  std::map<std::string, Countdown> running_;
};

}  // namespace ceremony::media
