#pragma once
// Cards: the slates of the run-of-show ("Chương trình sắp bắt đầu", with a countdown) and
// the grey stand-ins shown in place of a lost input or a clip that cannot play. Each is a
// bin with one "video" pad at the programme's size, drawn once and repeated live.

#include <gst/gst.h>

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

}  // namespace ceremony::media
