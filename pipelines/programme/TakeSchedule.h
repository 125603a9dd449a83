#pragma once
// The layouts waiting for their running time: a take is scheduled ahead (frame-accurate
// takes) and applied by a mixer's thread on the first buffer at or after it. Pure, no
// GStreamer and no lock: its owner guards it.

#include <cstdint>
#include <deque>
#include <optional>

#include "pipelines/programme/SceneLayout.h"

namespace ceremony::media {

class TakeSchedule {
 public:
  // A later take replaces anything scheduled at or after it.
  void add(std::uint64_t runningTime, SceneLayout layout);
  // Removes every layout due at or before `runningTime` and returns the last of them (the
  // one to show), or nothing if none was due.
  std::optional<SceneLayout> popDue(std::uint64_t runningTime);
  std::size_t size() const { return queue_.size(); }

 private:
  struct Entry {
    std::uint64_t runningTime;
    SceneLayout layout;
  };
  std::deque<Entry> queue_;  // in running-time order
};

// What one mixer (the compositor, the audio mixer) shows: its schedule, the layout applied
// last, and whether that must be applied again (a layer lost or regained its picture).
struct OnAirTrack {
  TakeSchedule schedule;
  SceneLayout onAir;
  bool dirty = false;

  enum class Step { Nothing, Again, Due };
  // At the buffer of running time `runningTime`: Due if a scheduled layout came due (it is
  // now onAir), Again if onAir is only to be applied again, Nothing if neither. Clears dirty.
  Step advance(std::uint64_t runningTime);
};

}  // namespace ceremony::media
