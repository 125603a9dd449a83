#include "pipelines/watch/ProgrammeSound.h"

#include <algorithm>
#include <cmath>

namespace ceremony::media {

namespace {

double toDb(double linear) {
  return linear > 0 ? 20 * std::log10(linear) : -HUGE_VAL;
}
double fromDb(double db) {
  return std::pow(10.0, db / 20);
}
double finiteOr(double v, double fallback) {
  return std::isfinite(v) ? v : fallback;
}

}  // namespace

ProgrammeSound::ProgrammeSound(const ProgrammeFormat& f, const WatchConfig& watch)
    : channels_(static_cast<unsigned>(std::max(1, f.audioChannels))),
      watch_(watch),
      rate_(static_cast<unsigned>(f.audioRate)) {
  state_ = ebur128_init(channels_, rate_,
                        EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK |
                            EBUR128_MODE_HISTOGRAM);
}

ProgrammeSound::~ProgrammeSound() {
  if (state_) ebur128_destroy(&state_);
}

void ProgrammeSound::attach(GstPad* pad) {
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo* info, gpointer self) {
        auto* sound = static_cast<ProgrammeSound*>(self);
        GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
        if (sound->watch_.autoGain) {
          buf = gst_buffer_make_writable(buf);
          GST_PAD_PROBE_INFO_DATA(info) = buf;
        }
        GstMapInfo map;
        const auto flags =
            static_cast<GstMapFlags>(GST_MAP_READ | (sound->watch_.autoGain ? GST_MAP_WRITE : 0));
        if (gst_buffer_map(buf, &map, flags)) {
          sound->add(reinterpret_cast<float*>(map.data),
                     map.size / (sizeof(float) * sound->channels_));
          gst_buffer_unmap(buf, &map);
        }
        return GST_PAD_PROBE_OK;
      },
      this, nullptr);
}

void ProgrammeSound::add(float* samples, std::size_t frames) {
  if (!state_ || frames == 0) return;
  if (watch_.autoGain) applyGain(samples, frames);
  std::lock_guard lock(mutex_);
  ebur128_add_frames_float(state_, samples, frames);
  frames_ += frames;
  for (unsigned c = 0; c < channels_; ++c) {
    double peak = 0;
    if (ebur128_prev_true_peak(state_, c, &peak) == EBUR128_SUCCESS) {
      peakSinceRead_ = std::max(peakSinceRead_, peak);
      maxPeak_ = std::max(maxPeak_, peak);
    }
  }
}

Loudness ProgrammeSound::read() {
  Loudness l;
  l.gainDb = appliedDb_;
  std::lock_guard lock(mutex_);
  if (!state_) return l;
  ebur128_loudness_momentary(state_, &l.momentary);
  ebur128_loudness_shortterm(state_, &l.shortTerm);
  ebur128_loudness_global(state_, &l.integrated);
  l.truePeak = toDb(peakSinceRead_);
  l.maxTruePeak = toDb(maxPeak_);
  l.seconds = static_cast<double>(frames_) / rate_;
  peakSinceRead_ = 0;
  return l;
}

void ProgrammeSound::steer(const Loudness& now, Millis since) {
  if (!watch_.autoGain) return;
  // Silence and near-silence say nothing about how loud the speech will be.
  if (!std::isfinite(now.shortTerm) || now.shortTerm < watch_.silenceBelowLufs + 10) return;
  const double wanted = wantedDb_;
  const double preGain = now.shortTerm - now.gainDb;  // what the mix gives without the gain
  const double goal = std::clamp(watch_.targetLufs - preGain, -watch_.maxGainDb, watch_.maxGainDb);
  const double step = 1.0 * std::chrono::duration<double>(since).count();  // 1 dB a second
  wantedDb_ = std::clamp(goal, wanted - step, wanted + step);
}

// The wanted gain, except that no sample of the buffer may come out above the ceiling (less
// half a dB for the peaks between samples): then the whole buffer gets the lower gain at
// once. Going up, the gain ramps within the buffer by at most 0.02 dB (1 dB a second).
void ProgrammeSound::applyGain(float* samples, std::size_t frames) {
  const std::size_t n = frames * channels_;
  float peak = 0;
  for (std::size_t i = 0; i < n; ++i) peak = std::max(peak, std::abs(samples[i]));
  const double ceiling = fromDb(watch_.truePeakMaxDbtp - 0.5);
  double target = fromDb(wantedDb_);
  if (peak > 0) target = std::min(target, ceiling / peak);
  const double from = applied_;
  const double to = target < from ? target : std::min(target, from * fromDb(0.02));
  if (to < from) {
    for (std::size_t i = 0; i < n; ++i) samples[i] = static_cast<float>(samples[i] * to);
  } else {
    for (std::size_t f = 0; f < frames; ++f) {
      const double g = from + (to - from) * static_cast<double>(f + 1) / frames;
      for (unsigned c = 0; c < channels_; ++c)
        samples[f * channels_ + c] = static_cast<float>(samples[f * channels_ + c] * g);
    }
  }
  applied_ = to;
  appliedDb_ = finiteOr(toDb(to), -watch_.maxGainDb);
}

}  // namespace ceremony::media
