// One journal record at a time (daemon/report/README.md lists them): what each changes in the
// walk over the journal (ReportWalker.h).
#include "report/ReportWalker.h"

namespace ceremony::report::detail {

void Walker::record(const Rec& r) {
  const json& j = *r.j;
  const WallTime at = r.at;
  const std::string& type = r.type;
  if (type == "start") {
    log(at, "start",
        flag(j, "resumed") ? "Phần mềm khởi động lại, tiếp tục buổi lễ" : "Phần mềm khởi động");
  } else if (type == "stop") {
    std::string why = str(j, "why");
    log(at, "stop", "Phần mềm dừng" + (why.empty() ? std::string() : " (" + why + ")"));
  } else if (type == "item") {
    std::string what = str(j, "what"), id = str(j, "item");
    if (id.empty()) return;
    if (!seenItems_.insert(what + '\x1f' + id + '\x1f' + str(j, "at")).second) return;
    std::size_t i = item(id);
    auto& f = m_.items[i];
    if (f.number.is_null())
      if (const json* n = field(j, "number"); n && (n->is_number() || n->is_string()))
        f.number = *n;
    if (what == "started") {
      if (!f.actualStart) f.actualStart = at;
      if (!f.plannedStart) f.plannedStart = timeOf(j, "planned");
      if (openAir_) onAir_[*openAir_].to = at;
      openAir_ = onAir_.size();
      onAir_.push_back({i, at, std::nullopt});
    } else if (what == "ended") {
      lastEnded_[i] = at;
      if (!f.plannedEnd) f.plannedEnd = timeOf(j, "planned");
      if (openAir_ && onAir_[*openAir_].item == i) {
        onAir_[*openAir_].to = at;
        openAir_.reset();
      }
    } else if (what == "skipped") {
      skippedRec_[i] = true;
    }
  } else if (type == "command") {
    ItemAction a;
    a.at = at;
    a.op = str(j, "op");
    a.who = str(j, "who");
    if (const json* v = field(j, "arg"); v && v->is_string())
      a.arg = v->get<std::string>();
    else if (v && v->is_number())
      a.arg = v->dump();
    a.seconds = num(j, "seconds");
    a.item = str(j, "item");
    if (a.seconds) a.seconds = std::clamp(*a.seconds, -kMaxCount, kMaxCount);
    std::string msg = actionText(m_, a);
    if (!a.who.empty()) msg += " — " + whoText(a.who);
    log(at, "command", msg);
    commands_.push_back(std::move(a));
  } else if (type == "point") {
    std::string id = str(j, "point"), to = str(j, "to");
    if (id.empty()) return;
    if (!validState(to)) to = "unknown";
    std::size_t p = point(id);
    auto& st = pts_[p];
    if (flag(j, "alert") && !flag(j, "suppressed")) {
      std::string reason = str(j, "reason");
      log(at, "point",
          "Điểm cầu " + m_.points[p].name + ": " + stateText(st.state) + " → " + stateText(to) +
              (reason.empty() ? "" : " (" + reason + ")"));
    }
    if (st.flapping) return;  // its summaries count this time
    accrue(p, at);
    if (st.state == "down" && to != "down") closeOutage(p, at);
    if (to == "down" && st.state != "down") {
      openOutage(p, at, str(j, "reason"));
      m_.points[p].outages++;
    }
    setState(p, to);
    sample(at);
  } else if (type == "point-flapping") {
    std::string id = str(j, "point"), state = str(j, "state");
    if (id.empty()) return;
    std::size_t p = point(id);
    auto& st = pts_[p];
    if (st.flapping) return;
    accrue(p, at);
    closeOutage(p, at);
    st.flapping = true;
    flappingNow_++;
    if (validState(state)) setState(p, state);
    sample(at);
  } else if (type == "point-summary") {
    std::string id = str(j, "point"), state = str(j, "state");
    if (id.empty()) return;
    std::size_t p = point(id);
    auto& st = pts_[p];
    auto& f = m_.points[p];
    const WallTime from = timeOf(j, "from").value_or(at);
    const WallTime to = std::max(timeOf(j, "to").value_or(at), from);
    const Millis up(clampMs(num(j, "up_ms"))), degraded(clampMs(num(j, "degraded_ms"))),
        down(clampMs(num(j, "down_ms")));
    const long long n = std::clamp(num(j, "outages").value_or(0), 0LL, kMaxCount);
    f.up = add(f.up, up);
    f.degraded = add(f.degraded, degraded);
    f.down = add(f.down, down);
    f.outages = std::min(f.outages + n, kMaxCount);
    if (!f.firstConnected && (up.count() > 0 || degraded.count() > 0)) f.firstConnected = from;
    if (n > 0 || down.count() > 0) {
      OutageRow o;
      o.point = id;
      o.from = from;
      o.to = to;
      o.ms = down;
      o.flapping = true;
      o.count = n;
      o.reason = "chập chờn: " + std::to_string(n) + " lần mất kết nối";
      m_.outages.push_back(std::move(o));
    }
    if (!st.flapping) {
      // A summary without its flapping record: the time before it was counted change by
      // change, so it counts from its own start.
      accrue(p, from);
      st.flapping = true;
      flappingNow_++;
    }
    if (validState(state)) setState(p, state);
    if (!flag(j, "flapping")) {
      st.flapping = false;
      flappingNow_--;
      st.since = to;
      if (st.state == "down") openOutage(p, to, "");
    }
    sample(at);
  } else if (type == "alive") {
    if (flappingNow_ <= 0) return;
    ConnectedSample c{at, clampMs(num(j, "up")), clampMs(num(j, "degraded")),
                      clampMs(num(j, "down"))};
    if (!m_.connected.empty() && m_.connected.back().at == at)
      m_.connected.back() = c;
    else
      m_.connected.push_back(c);
  } else if (type == "output") {
    std::string id = str(j, "output"), state = str(j, "state");
    if (id.empty()) return;
    std::size_t i = output(id);
    auto& o = outs_[i];
    if (state == "live") {
      if (o.live) return;
      if (o.everLive) {
        m_.outputs[i].reconnects++;
        log(at, "output", "Đầu ra " + id + " phát trở lại");
      }
      o.live = true;
      o.everLive = true;
      o.since = at;
      return;
    }
    const bool wasLive = o.live;
    if (o.live) {
      m_.outputs[i].liveSpans.push_back({o.since, std::max(at, o.since)});
      o.live = false;
    }
    std::string detail = str(j, "detail"), by = str(j, "by");
    std::string tail = detail.empty() ? "" : " (" + detail + ")";
    if (state == "stopped" && !by.empty())
      log(at, "output", "Đầu ra " + id + " được dừng bởi " + whoText(by) + tail);
    else if (wasLive && state == "failed")
      log(at, "output", "Đầu ra " + id + " bị lỗi, mất phát trực tiếp" + tail);
    else if (wasLive && state == "connecting")
      log(at, "output", "Đầu ra " + id + " mất kết nối, đang kết nối lại" + tail);
  } else if (type == "input") {
    std::string id = str(j, "input"), state = str(j, "state"), reason = str(j, "reason");
    std::string tail = reason.empty() ? "" : " (" + reason + ")";
    std::string& prev = inputs_[id];
    if (state == "stalled" || state == "retrying") {
      log(at, "input",
          "Nguồn vào " + id + (state == "stalled" ? " bị gián đoạn" : " đang kết nối lại") + tail);
    } else if (state == "running" && (prev == "stalled" || prev == "retrying")) {
      log(at, "input", "Nguồn vào " + id + " hoạt động trở lại");
    }
    prev = state;
  } else if (type == "bridge") {
    if (str(j, "what") == "joined") {
      std::string id = str(j, "point");
      if (!id.empty()) m_.points[point(id)].watchedBridge = true;
    }
  } else if (type == "alert") {
    std::string msg = str(j, "message");
    if (msg.empty()) msg = str(j, "what");
    log(at, "alert", "Cảnh báo đã gửi: " + msg);
  } else if (type == "uplink") {
    std::string reason = str(j, "reason");
    std::string tail = reason.empty() ? "" : " (" + reason + ")";
    if (str(j, "what") == "raised")
      log(at, "uplink",
          "Cảnh báo mất đường truyền chung: " + std::to_string(arr(j, "points").size()) +
              " điểm cầu mất kết nối cùng lúc" + tail);
    else
      log(at, "uplink", "Đường truyền chung đã phục hồi" + tail);
  } else if (type == "reload") {
    std::string msg = str(j, "message");
    log(at, "reload",
        flag(j, "ok") ? "Nạp lại cấu hình thành công"
                      : "Nạp lại cấu hình không thành công" + (msg.empty() ? "" : ": " + msg));
  } else if (type == "media") {
    std::string where = str(j, "where"), msg = str(j, "message");
    log(at, "media",
        "Sự cố phát hình" + (where.empty() ? "" : " (" + where + ")") +
            (msg.empty() ? "" : ": " + msg));
  }
}

}  // namespace ceremony::report::detail
