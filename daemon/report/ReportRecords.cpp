// One journal record at a time (daemon/report/README.md lists them): what each changes in the
// walk over the journal (ReportWalker.h).
#include "report/ReportWalker.h"

namespace ceremony::report::detail {

void Walker::record(const Rec& r) {
  const json& j = *r.j;
  const WallTime at = r.at;
  const std::string& type = r.type;
  if (type == "start") {
    // The [watch] target the ceremony ran with (journals before it: the default).
    if (const json* w = field(j, "watch");
        w && w->is_object() && w->contains("target_lufs") && (*w)["target_lufs"].is_number())
      m_.sound.targetLufs = (*w)["target_lufs"].get<double>();
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
    // The programme's loudness so far in this run of the daemon ([watch]): the last one counts.
    if (const json* snd = field(j, "sound"); snd && snd->is_object()) {
      if (auto lufs = real(*snd, "integrated_lufs"); lufs && *lufs > -200 && *lufs < 100) {
        SoundFigures::Run run;
        run.integratedLufs = *lufs;
        if (auto peak = real(*snd, "max_true_peak_dbtp"); peak && *peak > -200 && *peak < 100)
          run.maxTruePeakDbtp = *peak;
        run.measuredS = std::clamp(real(*snd, "measured_s").value_or(0), 0.0, 1e9);
        soundRun_ = run;
      }
    }
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
    if (id.empty()) return;
    std::string tail = reason.empty() ? "" : " (" + reason + ")";
    InState& in = input(id);
    InputFigures& f = m_.inputs[in.index];
    // A black picture begins or ends: a record of its own, with no state.
    if (const std::string picture = str(j, "picture"); state.empty() && !picture.empty()) {
      if (picture == "black" && !in.black) {
        in.black = true;
        in.blackSince = at;
        f.black = std::min(f.black + 1, kMaxCount);
        log(at, "input", "Nguồn vào " + id + " bị đen hình");
      } else if (picture == "ok" && in.black) {
        in.black = false;
        f.blackFor = add(f.blackFor, span(in.blackSince, at));
        log(at, "input", "Nguồn vào " + id + " hết đen hình");
      }
      return;
    }
    if (state != "running" && state != "stalled" && state != "retrying" && state != "frozen")
      return;
    const std::string prev = in.state;
    auto lost = [](const std::string& s) { return s == "stalled" || s == "retrying"; };
    if (prev == state && !lost(state)) return;  // a lost input's new reason is said again
    if (lost(state)) {
      log(at, "input",
          "Nguồn vào " + id + (state == "stalled" ? " bị gián đoạn" : " đang kết nối lại") + tail);
    } else if (state == "frozen") {
      log(at, "input", "Nguồn vào " + id + " đứng hình, thay bằng thẻ mất tín hiệu" + tail);
    } else if (lost(prev)) {
      log(at, "input", "Nguồn vào " + id + " hoạt động trở lại");
    } else if (prev == "frozen") {
      log(at, "input", "Nguồn vào " + id + " hết đứng hình, hoạt động trở lại");
    }
    if (prev == state) return;
    leaveInput(in, at);
    if (lost(state) && !lost(prev)) f.outages = std::min(f.outages + 1, kMaxCount);
    if (state == "frozen") f.frozen = std::min(f.frozen + 1, kMaxCount);
    in.state = state;
    in.since = at;
  } else if (type == "sound") {
    soundRecord(j, at);
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
    const std::string group = str(j, "group");
    const std::string line = group.empty() ? "đường truyền chung" : "đường truyền của " + group;
    if (str(j, "what") == "raised")
      log(at, "uplink",
          "Cảnh báo mất " + line + ": " + std::to_string(arr(j, "points").size()) +
              " điểm cầu mất kết nối cùng lúc" + tail);
    else
      log(at, "uplink",
          (group.empty() ? "Đường truyền chung" : "Đường truyền của " + group) + " đã phục hồi" +
              tail);
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

// A `sound` record (the sound watch's alert): silences, clipping and loudness off the target,
// each naming the item on air. Its message is the operators' and goes to the log as it is.
void Walker::soundRecord(const json& j, WallTime at) {
  const std::string alert = str(j, "alert"), id = str(j, "item");
  std::string msg = str(j, "message");
  const std::optional<double> value = real(j, "value");
  // Seconds as the daemon measured them (0.1 s), bounded.
  const Millis lasted(static_cast<long long>(
      std::llround(std::clamp(value.value_or(0), 0.0, double(kMaxMs) / 1000) * 1000)));
  ItemFigures* f = nullptr;
  if (auto known = itemIdx_.find(id); !id.empty() && known != itemIdx_.end())
    f = &m_.items[known->second];
  const std::string where = f ? " (mục " + f->title + ")" : id.empty() ? "" : " (mục " + id + ")";
  if (alert == "silence") {
    closeSilence(at, std::nullopt, false);  // one is open at a time: a new one ends the last
    SilenceRow row;
    row.item = id;
    row.from = WallTime(at - lasted);
    row.to = at;
    row.told = false;
    openSilence_ = m_.sound.silences.size();
    m_.sound.silences.push_back(std::move(row));
    if (msg.empty()) msg = "Không có tiếng" + where;
  } else if (alert == "silence_over") {
    if (openSilence_ && m_.sound.silences[*openSilence_].item == id) {
      closeSilence(at, value ? std::optional<Millis>(lasted) : std::nullopt, true);
    } else {
      // Its alert is not in the journal (a hand edit, a torn line): its length as told.
      m_.sound.silences.push_back({id, WallTime(at - lasted), at, true});
    }
    if (msg.empty()) msg = "Có tiếng trở lại" + where;
  } else if (alert == "clipping") {
    m_.sound.clipping = std::min(m_.sound.clipping + 1, kMaxCount);
    if (f) f->clipping = std::min(f->clipping + 1, kMaxCount);
    if (msg.empty()) msg = "Âm thanh bị vỡ" + where;
  } else if (alert == "off_target") {
    m_.sound.offTarget = std::min(m_.sound.offTarget + 1, kMaxCount);
    if (f) f->offTarget = std::min(f->offTarget + 1, kMaxCount);
    if (msg.empty()) msg = "Âm lượng chương trình ngoài mức chuẩn" + where;
  } else if (alert == "on_target") {
    if (msg.empty()) msg = "Âm lượng chương trình trở lại mức chuẩn";
  } else if (msg.empty()) {
    return;
  }
  log(at, "sound", msg);
}

}  // namespace ceremony::report::detail
