#include "watch/SoundWatch.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace ceremony::watch {

namespace {

double seconds(Millis d) {
  return std::chrono::duration<double>(d).count();
}

std::string fixed(double v, int digits = 1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  std::string s = buf;
  if (s == "-0.0") s = "0.0";
  return s;
}

std::string lasting(double s) {
  return std::to_string(static_cast<long>(std::lround(s))) + " s";
}

}  // namespace

bool expectsSound(const ItemConfig& item, const SceneConfig* scene) {
  if (item.expectSound) return *item.expectSound;
  if (!scene) return false;
  return scene->kind != SceneKind::Clip && scene->kind != SceneKind::Slate;
}

const char* toString(SoundAlertKind k) {
  switch (k) {
    case SoundAlertKind::Silence:
      return "silence";
    case SoundAlertKind::SilenceOver:
      return "silence_over";
    case SoundAlertKind::Clipping:
      return "clipping";
    case SoundAlertKind::OffTarget:
      return "off_target";
    case SoundAlertKind::OnTarget:
      return "on_target";
  }
  return "unknown";
}

std::string SoundWatch::itemName(const OnAirItem& item) {
  return "mục " + std::to_string(item.number) + ": " + item.title;
}

void SoundWatch::endSilence(std::vector<SoundAlert>& out, WallTime now, bool itemOver) {
  if (!silenceItem_) return;
  const double lasted = seconds(now - silenceCountedFrom_);
  const std::string name = itemName(*silenceItem_);
  out.push_back({SoundAlertKind::SilenceOver, silenceItem_->id,
                 itemOver
                     ? "Hết " + name + ", không có tiếng " + lasting(lasted) + " đến hết mục"
                     : "Có tiếng trở lại trong " + name + " sau " + lasting(lasted) + " im lặng",
                 lasted});
  silenceItem_.reset();
}

std::vector<SoundAlert> SoundWatch::update(const SoundReading& r,
                                           const std::optional<OnAirItem>& item, WallTime now) {
  std::vector<SoundAlert> out;
  const bool silent = !(r.momentary >= c_.silenceBelowLufs);  // NaN and -inf are silence
  if (!item_ || !item || item_->id != item->id) {
    if (silenceItem_) endSilence(out, now, true);
    itemSince_ = now;
  }
  item_ = item;

  if (!silent) {
    if (silenceItem_) endSilence(out, now, false);
    silentSince_.reset();
  } else {
    if (!silentSince_) silentSince_ = now;
    const WallTime from = std::max(*silentSince_, itemSince_);
    if (item && item->expectSound && !silenceItem_ && now - from >= c_.silenceAfter) {
      silenceItem_ = item;
      silenceCountedFrom_ = from;
      const double lasted = seconds(now - from);
      out.push_back({SoundAlertKind::Silence, item->id,
                     "Không có tiếng trong " + itemName(*item) + " (đã " + lasting(lasted) + ")",
                     lasted});
    }
  }

  if (r.truePeak > c_.truePeakMaxDbtp &&
      (!lastClipAlert_ || now - *lastClipAlert_ >= std::chrono::minutes(1))) {
    lastClipAlert_ = now;
    out.push_back({SoundAlertKind::Clipping, item ? item->id : "",
                   "Âm thanh bị vỡ: đỉnh " + fixed(r.truePeak) + " dBTP, quá mức " +
                       fixed(c_.truePeakMaxDbtp) + " dBTP" +
                       (item ? " (" + itemName(*item) + ")" : ""),
                   r.truePeak});
  }

  if (!silent && std::isfinite(r.shortTerm)) {
    lastShortTerm_ = r.shortTerm;
    const bool off = std::abs(r.shortTerm - c_.targetLufs) > c_.toleranceLu;
    const std::string band = fixed(c_.targetLufs, 0) + " ± " + fixed(c_.toleranceLu, 0) + " LUFS";
    if (off) {
      if (!offSince_) offSince_ = now;
      if (!offAlerted_ && now - *offSince_ >= c_.offTargetAfter) {
        offAlerted_ = true;
        out.push_back({SoundAlertKind::OffTarget, item ? item->id : "",
                       std::string("Âm lượng chương trình ") +
                           (r.shortTerm < c_.targetLufs ? "nhỏ" : "to") + ": " +
                           fixed(r.shortTerm) + " LUFS, ngoài mức " + band + " đã " +
                           lasting(seconds(now - *offSince_)),
                       r.shortTerm});
      }
    } else {
      offSince_.reset();
      if (offAlerted_) {
        offAlerted_ = false;
        out.push_back(
            {SoundAlertKind::OnTarget, item ? item->id : "",
             "Âm lượng chương trình trở lại mức " + band + ": " + fixed(r.shortTerm) + " LUFS",
             r.shortTerm});
      }
    }
  }
  return out;
}

std::string SoundWatch::state() const {
  if (silenceItem_) return "silent";
  if (silentSince_) return "quiet";
  if (offAlerted_) return "off_target";
  return "ok";
}

double SoundWatch::silentSeconds(WallTime now) const {
  return silentSince_ ? seconds(now - *silentSince_) : 0;
}

}  // namespace ceremony::watch
