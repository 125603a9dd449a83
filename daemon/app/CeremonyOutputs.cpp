// The ceremony's destinations: the table comes from the configuration and --rtmp, the
// reconnect policy lives in media::OutputSupervisor, and this file opens their pipelines
// (recording files, stream keys), tells the operators of their states and answers
// /api/outputs and the operators' start and stop. Everything here runs on the io_context.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "app/Ceremony.h"
#include "config/Secrets.h"
#include "config/TimeSpec.h"

namespace ceremony {

namespace {

using nlohmann::json;

// recordings/2025-07-28_14-00-05_recording.mkv: the local date and time it was started, so
// a restart never overwrites an earlier file and the report after the event finds them.
std::string recordingPath(const OutputConfig& out, const Config& config, WallTime now) {
  std::filesystem::create_directories(out.directory);
  const auto local = now + std::chrono::minutes(config.event.utcOffsetMinutes);
  const std::chrono::year_month_day day{std::chrono::floor<std::chrono::days>(local)};
  char date[16];
  std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  std::string stamp = formatClock(now, config.event.utcOffsetMinutes);
  for (char& c : stamp)
    if (c == ':') c = '-';
  if (stamp.size() == 5) stamp += "-00";
  return (std::filesystem::path(out.directory) /
          (std::string(date) + "_" + stamp + "_" + out.id + ".mkv"))
      .string();
}

// An output's state as the dashboard names it (app.js OUTPUT_STATES).
std::string stateText(media::OutputState s) {
  switch (s) {
    case media::OutputState::Live:
      return "đang phát";
    case media::OutputState::Connecting:
      return "đang kết nối";
    case media::OutputState::Stopped:
      return "đã dừng";
    case media::OutputState::Failed:
      return "lỗi";
  }
  return media::toString(s);
}

}  // namespace

bool Ceremony::addOutputs() {
  for (const auto& out : config_.outputs) {
    if (!out.enabled) continue;
    outputs_.add({out, {}, out.kind == OutputKind::Record ? out.directory : redactUrl(out.url)});
  }
  int n = 0;
  for (const auto& url : options_.rtmpUrls) {
    OutputConfig out;
    out.id = "rtmp-" + std::to_string(++n);
    out.label = "RTMP (--rtmp)";
    out.url = url;
    out.keyRequired = false;
    outputs_.add({out, url, redactUrl(url)});
  }
  int added = 0;
  for (const media::Destination* d : outputs_.destinations()) {
    const auto& stopped = runState_.stoppedOutputs;
    if (std::find(stopped.begin(), stopped.end(), d->config.id) != stopped.end()) {
      spdlog::warn("Đầu ra {} đã được kỹ thuật viên tắt trước khi khởi động lại: vẫn tắt",
                   d->config.id);
      continue;
    }
    if (outputs_.start(d->config.id) == media::OutputSupervisor::StartOutcome::Started) ++added;
  }
  if (added == 0) spdlog::warn("Không có đầu ra nào: chương trình chạy nhưng không phát đi đâu");
  return true;
}

bool Ceremony::openOutput(const media::Destination& destination, std::string* error) {
  const OutputConfig& out = destination.config;
  if (!mixer_) {
    *error = "the programme is not running";
    return false;
  }
  std::string location, safe;
  if (out.kind == OutputKind::Record) {
    try {
      location = recordingPath(out, config_, clock_.now());
    } catch (const std::exception& e) {
      *error = "cannot create the recording folder " + out.directory + ": " + e.what();
      spdlog::error("Không tạo được thư mục ghi hình {}: {}", out.directory, e.what());
      return false;
    }
    safe = location;
  } else if (!destination.url.empty()) {
    location = destination.url;
    safe = redactUrl(location);
  } else {
    location = out.url;
    if (out.keyRequired) {
      std::string whyNot;
      auto key = readStreamKey(out, &whyNot);
      if (!key) {
        *error = whyNot;
        spdlog::error("Đầu ra {}: {}", out.id, whyNot);
        return false;
      }
      if (!location.empty() && location.back() != '/') location += '/';
      location += *key;
      rememberSecret(*key);
    }
    safe = redactUrl(location);
  }
  if (!mixer_->addOutput(out, location, safe, error)) {
    spdlog::error("Đầu ra {}: {}", out.id, *error);
    return false;
  }
  if (out.kind == OutputKind::Record)
    spdlog::info("Ghi hình vào {}", safe);
  else
    spdlog::info("Phát tới {} ({})", out.label.empty() ? out.id : out.label, safe);
  return true;
}

bool Ceremony::closeOutput(const std::string& outputId) {
  return mixer_ && mixer_->removeOutput(outputId);
}

std::vector<media::OutputStatus> Ceremony::openOutputs() const {
  return mixer_ ? mixer_->outputs() : std::vector<media::OutputStatus>{};
}

void Ceremony::onOutputState(const std::string& outputId, media::OutputState state,
                             const std::string& detail) {
  const media::Destination* destination = outputs_.find(outputId);
  const bool recording = destination && destination->config.kind == OutputKind::Record;
  std::string message = "Đầu ra " + outputId + ": " + stateText(state);
  if (state == media::OutputState::Failed) {
    message += " — " + detail;
    // A recording is not retried (a full disk stays full); the stream goes on without it.
    if (recording) message += "; ghi hình đã dừng, luồng phát vẫn tiếp tục";
    spdlog::error("{}", message);
  } else {
    spdlog::info("{}", message);
  }
  json extra{{"output", outputId}, {"state", media::toString(state)}};
  if (state == media::OutputState::Failed) extra["reason"] = detail;
  logEvent("output", message, std::move(extra));
  outputs_.onOutputState(outputId, state, detail);
  notifySystemd();
  publishStatus();
}

json Ceremony::outputsJson(const std::vector<media::DestinationStatus>& list) const {
  json out = json::array();
  for (const auto& d : list) {
    const OutputConfig& c = d.destination->config;
    out.push_back({{"id", c.id},
                   {"label", c.label.empty() ? c.id : c.label},
                   {"kind", outputKindName(c.kind)},
                   {"state", d.state},
                   {"destination", d.shownDestination},
                   {"bytes", d.bytes},
                   {"bitrate_kbps", d.kbps},
                   {"reconnects", d.reconnects},
                   {"last_error", d.lastError}});
  }
  return out;
}

json Ceremony::outputs() {
  return outputsJson(outputs_.status());
}

CommandResult Ceremony::startOutput(const std::string& id) {
  using Outcome = media::OutputSupervisor::StartOutcome;
  if (!outputs_.find(id))
    return CommandResult::refused(CommandError::UnknownItem, "no output «" + id + "»");
  if (!mixer_ && !outputs_.running(id))
    return CommandResult::refused(CommandError::NotNow, "the programme is not running");
  switch (outputs_.start(id)) {
    case Outcome::Started:
      break;
    case Outcome::RetriedNow:
      return operatorCommand("kết nối lại đầu ra «" + id + "» ngay (start)", CommandResult::done(),
                             {{"op", "output-start"}, {"arg", id}});
    case Outcome::AlreadyRunning:
      return CommandResult::refused(CommandError::NotNow, "output «" + id + "» is already running");
    case Outcome::Failed:
      return CommandResult::refused(CommandError::NotNow,
                                    "output «" + id + "» cannot start: " + outputs_.lastError(id));
    case Outcome::Unknown:
      return CommandResult::refused(CommandError::UnknownItem, "no output «" + id + "»");
  }
  auto& stopped = runState_.stoppedOutputs;
  stopped.erase(std::remove(stopped.begin(), stopped.end(), id), stopped.end());
  saveState();
  return operatorCommand("bật đầu ra «" + id + "» (start)", CommandResult::done(),
                         {{"op", "output-start"}, {"arg", id}});
}

CommandResult Ceremony::stopOutput(const std::string& id) {
  if (!outputs_.find(id))
    return CommandResult::refused(CommandError::UnknownItem, "no output «" + id + "»");
  if (!outputs_.stop(id))
    return CommandResult::refused(CommandError::NotNow, "output «" + id + "» is not running");
  runState_.stoppedOutputs.push_back(id);
  saveState();
  return operatorCommand("tắt đầu ra «" + id + "» (stop)", CommandResult::done(),
                         {{"op", "output-stop"}, {"arg", id}});
}

}  // namespace ceremony
