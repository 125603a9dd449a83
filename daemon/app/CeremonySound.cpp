// [watch]: what viewers hear. Four times a second the programme's loudness is read
// (media::ProgrammeSound), the automatic gain steered, the sound's alerts decided
// (watch::SoundWatch) and the meters pushed to the dashboard (the live feed's "sound"
// topic). On the io_context thread.
#include <spdlog/spdlog.h>

#include <cmath>

#include "app/Ceremony.h"

namespace ceremony {

using json = nlohmann::json;

namespace {

constexpr Millis kListenEvery{250};

std::string metric(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-Inf" : "+Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// The item's place in the run-of-show (from 0), as the configuration has it.
std::optional<std::size_t> indexOf(const std::vector<ItemConfig>& items, const std::string& id) {
  for (std::size_t i = 0; i < items.size(); ++i)
    if (!id.empty() && items[i].id == id) return i;
  return std::nullopt;
}

}  // namespace

json Ceremony::soundLevel(double v) {
  if (!std::isfinite(v)) return nullptr;
  return std::round(v * 10) / 10;
}

std::optional<watch::OnAirItem> Ceremony::onAirForWatch() const {
  if (!timeline_) return std::nullopt;
  const auto current = timeline_->current();
  if (!current) return std::nullopt;
  const auto i = indexOf(config_.timeline, timeline_->item(*current, clock_.now()).id);
  if (!i) return std::nullopt;
  const ItemConfig& c = config_.timeline[*i];
  return watch::OnAirItem{c.id, static_cast<int>(*i) + 1, c.title,
                          watch::expectsSound(c, config_.findScene(c.scene))};
}

void Ceremony::listen() {
  if (stopping_ || !mixer_ || !soundWatch_) return;
  if (auto reading = mixer_->loudness()) {
    const WallTime now = clock_.now();
    mixer_->steerGain(*reading, kListenEvery);
    sound_ = reading;
    for (const auto& alert : soundWatch_->update(
             {reading->momentary, reading->shortTerm, reading->truePeak}, onAirForWatch(), now)) {
      const bool over = alert.kind == watch::SoundAlertKind::SilenceOver ||
                        alert.kind == watch::SoundAlertKind::OnTarget;
      if (over)
        spdlog::info("Âm thanh: {}", alert.message);
      else
        spdlog::warn("Âm thanh: {}", alert.message);
      const double value = std::round(alert.value * 10) / 10;
      logEvent("sound", alert.message,
               {{"alert", watch::toString(alert.kind)}, {"item", alert.itemId}, {"value", value}});
      // The same webhook as the points' alerts: a speech nobody hears is worth a phone call.
      if (points_) {
        json item = nullptr;
        if (const auto i = indexOf(config_.timeline, alert.itemId))
          item = {{"id", alert.itemId}, {"number", *i + 1}, {"title", config_.timeline[*i].title}};
        points_->sendAlert({{"type", "sound"},
                            {"time", timeText(now)},
                            {"alert", watch::toString(alert.kind)},
                            {"item", std::move(item)},
                            {"value", value},
                            {"text", alert.message}});
      }
    }
    const std::string state = soundWatch_->state();
    silentSeconds_ = soundWatch_->silentSeconds(now);
    if (std::exchange(soundState_, state) != state) publishStatus();
    feed_.publish("sound", soundJson().dump());
  }
  listener_.expires_after(kListenEvery);
  listener_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) listen();
  });
}

json Ceremony::soundJson() const {
  if (!sound_) return nullptr;
  const media::Loudness& l = *sound_;
  const WatchConfig& w = config_.watch;
  json inputs = json::object();
  for (const auto& in : mixer_->inputs())
    if (in.watched)
      inputs[in.id] = {{"peak_db", soundLevel(in.peakDb)}, {"rms_db", soundLevel(in.rmsDb)}};
  return {{"momentary_lufs", soundLevel(l.momentary)},
          {"short_term_lufs", soundLevel(l.shortTerm)},
          {"integrated_lufs", soundLevel(l.integrated)},
          {"true_peak_dbtp", soundLevel(l.truePeak)},
          {"max_true_peak_dbtp", soundLevel(l.maxTruePeak)},
          {"gain_db", std::round(l.gainDb * 10) / 10},
          {"auto_gain", w.autoGain},
          {"target_lufs", w.targetLufs},
          {"tolerance_lu", w.toleranceLu},
          {"true_peak_max_dbtp", w.truePeakMaxDbtp},
          {"silence_below_lufs", w.silenceBelowLufs},
          {"state", soundState_},
          {"silent_s", std::round(silentSeconds_ * 10) / 10},
          {"measured_s", std::round(l.seconds)},
          {"inputs", std::move(inputs)}};
}

void Ceremony::soundMetrics(std::string& out) const {
  if (!sound_) return;
  auto line = [&](const std::string& s) { out += s + "\n"; };
  const media::Loudness& l = *sound_;
  line(
      "# HELP ceremonyd_programme_loudness_lufs The programme's loudness (EBU R128): "
      "momentary 400 ms, short-term 3 s, integrated since the start; -Inf in silence.");
  line("# TYPE ceremonyd_programme_loudness_lufs gauge");
  line("ceremonyd_programme_loudness_lufs{window=\"momentary\"} " + metric(l.momentary));
  line("ceremonyd_programme_loudness_lufs{window=\"short_term\"} " + metric(l.shortTerm));
  line("ceremonyd_programme_loudness_lufs{window=\"integrated\"} " + metric(l.integrated));
  line(
      "# HELP ceremonyd_programme_true_peak_dbtp The programme's true peak: over the last "
      "quarter second, and the highest since the start.");
  line("# TYPE ceremonyd_programme_true_peak_dbtp gauge");
  line("ceremonyd_programme_true_peak_dbtp{window=\"recent\"} " + metric(l.truePeak));
  line("ceremonyd_programme_true_peak_dbtp{window=\"max\"} " + metric(l.maxTruePeak));
  line("# HELP ceremonyd_programme_silent_seconds How long the programme has been silent.");
  line("# TYPE ceremonyd_programme_silent_seconds gauge");
  line("ceremonyd_programme_silent_seconds " + metric(silentSeconds_));
  line("# HELP ceremonyd_programme_gain_db What the automatic gain applies (0 when it is off).");
  line("# TYPE ceremonyd_programme_gain_db gauge");
  line("ceremonyd_programme_gain_db " + metric(l.gainDb));
  line("# HELP ceremonyd_input_level_dbfs A live input's sound (loudest channel), peak and RMS.");
  line("# TYPE ceremonyd_input_level_dbfs gauge");
  line("# HELP ceremonyd_input_picture 1 while the live input's picture is frozen / black.");
  line("# TYPE ceremonyd_input_picture gauge");
  for (const auto& in : mixer_->inputs()) {
    if (!in.watched) continue;
    const std::string id = "input=\"" + in.id + "\"";
    line("ceremonyd_input_level_dbfs{" + id + ",kind=\"peak\"} " + metric(in.peakDb));
    line("ceremonyd_input_level_dbfs{" + id + ",kind=\"rms\"} " + metric(in.rmsDb));
    line("ceremonyd_input_picture{" + id + ",state=\"frozen\"} " +
         (in.state == media::InputState::Frozen ? "1" : "0"));
    line("ceremonyd_input_picture{" + id + ",state=\"black\"} " + (in.black ? "1" : "0"));
  }
}

}  // namespace ceremony
