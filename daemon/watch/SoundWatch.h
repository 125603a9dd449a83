#pragma once
// The decisions about the programme's sound ([watch], config/README.md), from readings of
// its loudness a few times a second (pipelines/watch/ProgrammeSound measures it). Pure: every
// call takes `now`, nothing here touches media or the network.
//
//   - silence: momentary loudness under silence_below for silence_after during an item that
//     expects sound is one alert naming the item; its end (sound again, or the item over)
//     is another, with how long it lasted. A silence that began earlier counts from the
//     item's start: a film that ends quiet is not held against the speech after it.
//   - clipping: a true peak over true_peak_max, at most one alert a minute.
//   - off target: short-term loudness outside target ± tolerance for off_target_after
//     (silence neither counts for it nor against it); its return is said too.

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "config/Config.h"
#include "core/WallTime.h"

namespace ceremony::watch {

// Loudness in LUFS, peak in dBTP; -infinity (or NaN) for digital silence.
struct SoundReading {
  double momentary = -HUGE_VAL;
  double shortTerm = -HUGE_VAL;
  double truePeak = -HUGE_VAL;  // the highest since the previous reading
};

// The item on air, as the watch needs to know it.
struct OnAirItem {
  std::string id;
  int number = 0;  // its place in the run-of-show, from 1
  std::string title;
  bool expectSound = true;
};

// Whether an item expects sound: what it says, else yes for a source, a picture in picture
// or side by side (a speech, the hall) and no for a clip or a slate.
bool expectsSound(const ItemConfig& item, const SceneConfig* scene);

enum class SoundAlertKind { Silence, SilenceOver, Clipping, OffTarget, OnTarget };
const char* toString(SoundAlertKind k);  // "silence", "silence_over", "clipping", ...

struct SoundAlert {
  SoundAlertKind kind;
  std::string itemId;   // the item on air ("" when none)
  std::string message;  // for the operators, in Vietnamese
  double value = 0;     // seconds (silence), dBTP (clipping), LUFS (loudness)
};

class SoundWatch {
 public:
  explicit SoundWatch(const WatchConfig& config) : c_(config) {}

  std::vector<SoundAlert> update(const SoundReading& r, const std::optional<OnAirItem>& item,
                                 WallTime now);

  // "ok", "silent" (an alert is up), "quiet" (silent, no alert: not long enough or not
  // expected), "off_target".
  std::string state() const;
  // How long the programme has been silent (0 when it is not).
  double silentSeconds(WallTime now) const;

 private:
  static std::string itemName(const OnAirItem& item);
  void endSilence(std::vector<SoundAlert>& out, WallTime now, bool itemOver);

  WatchConfig c_;
  std::optional<WallTime> silentSince_;
  std::optional<OnAirItem> item_;  // the item of the last update
  WallTime itemSince_{};
  std::optional<OnAirItem> silenceItem_;  // the item the silence alert named
  WallTime silenceCountedFrom_{};
  std::optional<WallTime> lastClipAlert_;
  std::optional<WallTime> offSince_;
  bool offAlerted_ = false;
  double lastShortTerm_ = -HUGE_VAL;
};

}  // namespace ceremony::watch
