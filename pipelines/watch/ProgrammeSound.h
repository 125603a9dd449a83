#pragma once
// The programme's sound as viewers get it, measured where it enters the AAC encoder:
// EBU R128 / ITU-R BS.1770 loudness with libebur128 (momentary 400 ms, short-term 3 s,
// integrated over the whole ceremony with constant memory, true peak by 4× oversampling),
// and, only when [watch] auto_gain is on, a slow gain in front of the measurement that keeps
// the programme near the target and never lets a sample peak past the ceiling.
//
// Threads: add() runs on the audio mixer's streaming thread (a pad probe, attach()); read(),
// steer() and the accessors on the io_context thread. `mutex_` guards the libebur128 state
// and the peak since the last read; the gain the thread applies is an atomic.

#include <ebur128.h>
#include <gst/gst.h>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <mutex>

#include "config/Config.h"
#include "core/WallTime.h"

namespace ceremony::media {

// Loudness in LUFS and peaks in dBTP; -infinity for digital silence (nothing to measure).
struct Loudness {
  double momentary = -HUGE_VAL;
  double shortTerm = -HUGE_VAL;
  double integrated = -HUGE_VAL;
  double truePeak = -HUGE_VAL;     // the highest since the previous read
  double maxTruePeak = -HUGE_VAL;  // the highest since the start
  double gainDb = 0;               // what the automatic gain applies now (0 when it is off)
  double seconds = 0;              // sound measured so far
};

class ProgrammeSound {
 public:
  ProgrammeSound(const ProgrammeFormat& format, const WatchConfig& watch);
  ~ProgrammeSound();
  ProgrammeSound(const ProgrammeSound&) = delete;
  ProgrammeSound& operator=(const ProgrammeSound&) = delete;

  // Measures (and, with auto_gain, first turns) every buffer of interleaved F32 that passes
  // `pad`. Call once, before the pipeline plays; the probe ends with the pad.
  void attach(GstPad* pad);
  // A buffer's worth of interleaved float samples (the probe's work; tests call it).
  void add(float* samples, std::size_t frames);
  Loudness read();
  // io_context, a few times a second: the automatic gain follows the short-term loudness
  // by at most 1 dB a second (nothing while the programme is silent). No-op when it is off.
  void steer(const Loudness& now, Millis since);

 private:
  void applyGain(float* samples, std::size_t frames);

  const unsigned channels_;
  const WatchConfig watch_;
  std::mutex mutex_;
  ebur128_state* state_ = nullptr;
  double peakSinceRead_ = 0;  // linear
  double maxPeak_ = 0;        // linear
  std::size_t frames_ = 0;
  unsigned rate_;
  // The automatic gain: the gain asked (io thread) and the gain applied (streaming thread).
  std::atomic<double> wantedDb_{0};
  std::atomic<double> appliedDb_{0};
  double applied_ = 1;  // linear, the streaming thread's own
};

}  // namespace ceremony::media
