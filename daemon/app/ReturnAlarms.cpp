#include "app/ReturnAlarms.h"

#include <cmath>

namespace ceremony {

namespace {
using Ms = std::chrono::milliseconds;
long kbpsOf(std::uint64_t bytes, ReturnAlarms::Time from, ReturnAlarms::Time to) {
  const auto ms = std::chrono::duration_cast<Ms>(to - from).count();
  return ms > 0 ? std::lround(double(bytes) * 8.0 / double(ms)) : 0;
}
}  // namespace

bool ReturnAlarms::raise(const std::string& pointId, const std::string& cause, std::string what,
                         std::vector<Alert>& out, long kbps) {
  if (!active_[pointId].insert(cause).second) return false;  // told already
  out.push_back({pointId, cause, true, std::move(what), kbps});
  return true;
}

void ReturnAlarms::clear(const std::string& pointId, const std::string& cause,
                         std::vector<Alert>& out) {
  auto it = active_.find(pointId);
  if (it == active_.end() || it->second.erase(cause) == 0) return;
  if (it->second.empty()) active_.erase(it);
  out.push_back({pointId, cause, false,
                 cause == "frozen" ? "hình gửi về chuyển động trở lại" : "gửi hình về trở lại"});
}

std::vector<ReturnAlarms::Alert> ReturnAlarms::sample(const std::string& pointId,
                                                      const std::string& sessionId, const Sample& s,
                                                      bool* cut) {
  std::vector<Alert> out;
  *cut = false;
  Session& session = sessions_[pointId];
  if (session.id != sessionId) session = Session{sessionId};
  if (!session.haveBytes) {  // the first reading: nothing to compare with yet
    session.haveBytes = true;
    session.bytes = s.bytes;
    session.at = session.grewAt = s.at;
    if (s.bytes > 0) session.sending = true;
    return out;
  }
  const std::uint64_t before = session.bytes;
  const Time previous = session.at;
  session.bytes = s.bytes;
  session.at = s.at;
  if (s.bytes > before) {
    session.grewAt = s.at;
    session.sending = true;
    clear(pointId, "stopped", out);
    clear(pointId, "failed", out);
  } else if (session.sending && s.at - session.grewAt >= settings_.quietFor) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(settings_.quietFor);
    raise(pointId, "stopped",
          "ngừng gửi hình (không nhận được gì trong " + std::to_string(seconds.count()) + " s)",
          out);
  }
  // Flooding: over the line for floodFor, measured from the bytes.
  const long line = std::lround(settings_.capKbps * settings_.floodFactor);
  const long kbps = kbpsOf(s.bytes > before ? s.bytes - before : 0, previous, s.at);
  if (kbps > line) {
    session.withinSince = {};
    if (session.overSince == Time{}) {
      session.overSince = previous;
      session.overBytes = before;
    }
    if (s.at - session.overSince >= settings_.floodFor) {
      const long average = kbpsOf(s.bytes - session.overBytes, session.overSince, s.at);
      raise(pointId, "flood",
            "gửi quá băng thông được cấp (" + std::to_string(average) + " kbit/s, được cấp " +
                std::to_string(settings_.capKbps) + " kbit/s), đã ngắt",
            out, average);
      *cut = true;
    }
  } else {
    session.overSince = {};
    if (s.bytes > before) {
      if (session.withinSince == Time{}) session.withinSince = previous;
      if (s.at - session.withinSince >= settings_.floodFor) clear(pointId, "flood", out);
    }
  }
  // The picture (only when it is decoded).
  if (s.frozen)
    raise(pointId, "frozen", "hình gửi về bị đứng", out);
  else if (s.bytes > before)
    clear(pointId, "frozen", out);
  return out;
}

std::vector<ReturnAlarms::Alert> ReturnAlarms::ended(const std::string& pointId,
                                                     const std::string& sessionId, const End& end) {
  std::vector<Alert> out;
  bool sending = false;
  if (auto it = sessions_.find(pointId); it != sessions_.end() && it->second.id == sessionId) {
    sending = it->second.sending;
    sessions_.erase(it);
  }
  if (end.flooded) return out;  // alerted when it was cut
  if (end.byThePoint) {
    if (end.onAir) raise(pointId, "stopped", "ngừng gửi hình khi đang lên sóng", out);
    return out;
  }
  if (end.mediaFailed) {
    if (sending || end.onProgramme)
      raise(pointId, "failed", "hình gửi về bị lỗi (" + end.reason + ")", out);
  } else if (sending) {
    raise(pointId, "stopped", "ngừng gửi hình (" + end.reason + ")", out);
  } else if (end.onProgramme) {
    raise(pointId, "failed", "không gửi được hình về (" + end.reason + ")", out);
  }
  return out;
}

}  // namespace ceremony
