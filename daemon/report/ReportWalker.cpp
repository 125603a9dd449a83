// The walk over the journal that computes the report's figures: the plan from the last start
// record, the state of outputs, points and items as records come, gaps between runs, and the
// totals at the end (computeModel).
#include "report/ReportWalker.h"

namespace ceremony::report::detail {

std::size_t Walker::output(const std::string& id) {
  auto [it, fresh] = outIdx_.try_emplace(id, m_.outputs.size());
  if (fresh) {
    m_.outputs.push_back({});
    m_.outputs.back().id = id;
    outs_.push_back({});
  }
  return it->second;
}

std::size_t Walker::point(const std::string& id) {
  auto [it, fresh] = pointIdx_.try_emplace(id, m_.points.size());
  if (fresh) {
    m_.points.push_back({});
    m_.points.back().id = id;
    m_.points.back().name = id;
    pts_.push_back({});
    counts_["unknown"]++;
  }
  return it->second;
}

std::size_t Walker::item(const std::string& id) {
  auto [it, fresh] = itemIdx_.try_emplace(id, m_.items.size());
  if (fresh) {
    m_.items.push_back({});
    m_.items.back().id = id;
    lastEnded_.push_back(std::nullopt);
    skippedRec_.push_back(false);
  }
  return it->second;
}

void Walker::plan(const json& s) {
  for (const auto& it : arr(s, "items")) {
    std::string id = str(it, "id");
    if (id.empty() || itemIdx_.count(id)) continue;
    auto& f = m_.items[item(id)];
    f.title = str(it, "title");
    if (const json* n = field(it, "number"); n && (n->is_number() || n->is_string())) f.number = *n;
    f.plannedStart = timeOf(it, "planned_start");
    f.plannedEnd = timeOf(it, "planned_end");
    f.launch = flag(it, "launch");
  }
  for (const auto& p : arr(s, "points")) {
    std::string id = str(p, "id");
    if (id.empty() || pointIdx_.count(id)) continue;
    auto& f = m_.points[point(id)];
    if (auto name = str(p, "name"); !name.empty()) f.name = name;
    f.kind = str(p, "kind");
    f.contactName = str(p, "contact_name");
    f.contactPhone = str(p, "contact_phone");
  }
  m_.plannedPoints = static_cast<long long>(m_.points.size());
  for (const auto& o : arr(s, "outputs")) {
    std::string id = str(o, "id");
    if (id.empty() || outIdx_.count(id)) continue;
    m_.outputs[output(id)].kind = str(o, "kind");
  }
}

void Walker::accrue(std::size_t p, WallTime t) {
  auto& st = pts_[p];
  auto& f = m_.points[p];
  if (!st.flapping) {
    const Millis d = span(st.since, t);
    if (st.state == "up") f.up = add(f.up, d);
    if (st.state == "degraded") f.degraded = add(f.degraded, d);
    if (st.state == "down") f.down = add(f.down, d);
    if (st.state == "maintenance") f.maintenance = add(f.maintenance, d);
  }
  if (t > st.since) st.since = t;
}

void Walker::setState(std::size_t p, const std::string& s) {
  auto& st = pts_[p];
  counts_[st.state]--;
  st.state = s;
  counts_[s]++;
  if (connected(s) && !m_.points[p].firstConnected) m_.points[p].firstConnected = st.since;
}

void Walker::sample(WallTime at) {
  ConnectedSample c{at, counts_["up"], counts_["degraded"], counts_["down"]};
  if (!m_.connected.empty()) {
    const auto& last = m_.connected.back();
    if (last.up == c.up && last.degraded == c.degraded && last.down == c.down) return;
  }
  if (!m_.connected.empty() && m_.connected.back().at == at)
    m_.connected.back() = c;
  else
    m_.connected.push_back(c);
}

void Walker::openOutage(std::size_t p, WallTime at, std::string reason) {
  OutageRow o;
  o.point = m_.points[p].id;
  o.from = at;
  o.reason = std::move(reason);
  pts_[p].openOutage = m_.outages.size();
  m_.outages.push_back(std::move(o));
}

void Walker::closeOutage(std::size_t p, WallTime at) {
  auto& st = pts_[p];
  if (!st.openOutage) return;
  auto& o = m_.outages[*st.openOutage];
  o.to = std::max(at, o.from);
  o.ms = span(o.from, at);
  st.openOutage.reset();
}

Walker::InState& Walker::input(const std::string& id) {
  auto [it, fresh] = inputs_.try_emplace(id);
  if (fresh) {
    it->second.index = m_.inputs.size();
    m_.inputs.push_back({});
    m_.inputs.back().id = id;
  }
  return it->second;
}

// The time an input spent in its state so far goes to that state's total.
void Walker::leaveInput(InState& in, WallTime at) {
  auto& f = m_.inputs[in.index];
  if (in.state == "stalled" || in.state == "retrying") f.outage = add(f.outage, span(in.since, at));
  if (in.state == "frozen") f.frozenFor = add(f.frozenFor, span(in.since, at));
  in.since = at;
}

void Walker::closeSilence(WallTime to, std::optional<Millis> lasted, bool told) {
  if (!openSilence_) return;
  auto& s = m_.sound.silences[*openSilence_];
  // A silence nobody said the end of lasts to its item's end, else to `to`.
  if (!told)
    if (auto known = itemIdx_.find(s.item); known != itemIdx_.end())
      if (const auto& ended = lastEnded_[known->second]; ended && *ended >= s.from && *ended < to)
        to = *ended;
  s.to = std::max(to, s.from);
  if (lasted) s.from = WallTime(s.to - *lasted);
  s.told = told;
  openSilence_.reset();
}

// The daemon stops (a gap follows) or the report ends: nothing stays live, every point's
// state becomes unknown. At the report's end an open outage keeps `to` null.
void Walker::closeAll(WallTime t, bool final) {
  for (std::size_t i = 0; i < outs_.size(); ++i) {
    auto& o = outs_[i];
    if (!o.live) continue;
    m_.outputs[i].liveSpans.push_back({o.since, std::max(t, o.since)});
    if (final) m_.outputs[i].liveAtEnd = true;
    o.live = false;
  }
  for (std::size_t p = 0; p < pts_.size(); ++p) {
    accrue(p, t);
    auto& st = pts_[p];
    if (st.openOutage) {
      if (final) {
        auto& o = m_.outages[*st.openOutage];
        o.ms = span(o.from, t);
        st.openOutage.reset();
      } else {
        closeOutage(p, t);
      }
    }
    if (st.flapping) flappingNow_--;
    st.flapping = false;
    setState(p, "unknown");
  }
  if (!final) sample(t);
  // The input states and the sound meter begin again with the next run of the daemon.
  for (auto& [id, in] : inputs_) {
    leaveInput(in, t);
    if (in.black)
      m_.inputs[in.index].blackFor = add(m_.inputs[in.index].blackFor, span(in.blackSince, t));
    in.state.clear();
    in.black = false;
  }
  if (soundRun_) m_.sound.runs.push_back(*soundRun_);
  soundRun_.reset();
  closeSilence(t, std::nullopt, false);  // to its item's end, else to the end of this run
}

void Walker::run(const std::vector<std::vector<const Rec*>>& segments) {
  std::optional<WallTime> prevLast;
  for (const auto& seg : segments) {
    if (seg.empty()) continue;
    const Rec& start = *seg.front();
    if (prevLast) {
      closeAll(*prevLast, false);
      if (flag(*start.j, "resumed") && start.at > *prevLast)
        m_.gaps.push_back({*prevLast, start.at});
    }
    for (auto& st : pts_) st.since = start.at;
    for (const Rec* r : seg) record(*r);
    prevLast = seg.back()->at;
  }
  closeAll(m_.end, true);
  finish();
}

void Walker::finish() {
  // Items: actual end, skipped, actions.
  std::vector<bool> openAtEnd(m_.items.size(), false);
  if (openAir_) openAtEnd[onAir_[*openAir_].item] = true;
  for (std::size_t i = 0; i < m_.items.size(); ++i) {
    auto& f = m_.items[i];
    f.actualEnd = openAtEnd[i] ? std::nullopt : lastEnded_[i];
    f.skipped = skippedRec_[i] && !f.actualStart;
  }
  static const std::set<std::string> kItemOps = {"hold",   "resume", "next", "goto",
                                                 "extend", "cut",    "cue"};
  for (const auto& a : commands_) {
    if (!kItemOps.count(a.op)) continue;
    // The daemon names the item a command acted on: a command given as one item gives way to
    // the next (an extend a moment before the take) cannot be told apart by time.
    if (!a.item.empty()) {
      auto named = std::find_if(m_.items.begin(), m_.items.end(),
                                [&](const ItemFigures& f) { return f.id == a.item; });
      if (named != m_.items.end()) {
        named->actions.push_back(a);
        continue;
      }
    }
    for (auto it = onAir_.rbegin(); it != onAir_.rend(); ++it) {
      if (it->from < a.at && (!it->to || a.at <= *it->to)) {
        m_.items[it->item].actions.push_back(a);
        break;
      }
    }
  }
  // Sound: each run's figure, the silences by item.
  auto& snd = m_.sound;
  if (snd.runs.size() == 1) {
    snd.integratedLufs = snd.runs[0].integratedLufs;
    snd.measuredS = snd.runs[0].measuredS;
  } else if (snd.runs.size() > 1) {
    // Loudness is a mean of energy: the runs' energies weighted by the seconds each measured
    // (equal weights when none says). An approximation: each run gated its own blocks.
    double weight = 0, energy = 0;
    for (const auto& r : snd.runs) weight += r.measuredS;
    for (const auto& r : snd.runs)
      energy += (weight > 0 ? r.measuredS / weight : 1.0 / double(snd.runs.size())) *
                std::pow(10.0, r.integratedLufs / 10);
    snd.measuredS = weight;
    if (energy > 0) snd.integratedLufs = 10 * std::log10(energy);
  }
  for (const auto& r : snd.runs)
    if (r.maxTruePeakDbtp && (!snd.maxTruePeakDbtp || *r.maxTruePeakDbtp > *snd.maxTruePeakDbtp))
      snd.maxTruePeakDbtp = r.maxTruePeakDbtp;
  for (const auto& s : snd.silences) {
    auto known = itemIdx_.find(s.item);
    if (known == itemIdx_.end()) continue;
    auto& f = m_.items[known->second];
    f.silences = std::min(f.silences + 1, kMaxCount);
    f.silent = add(f.silent, s.ms());
  }
  // Opening and launch.
  for (const auto& f : m_.items)
    if (f.actualStart && (!m_.openingAt || *f.actualStart < *m_.openingAt))
      m_.openingAt = f.actualStart;
  for (const auto& f : m_.items)
    if (f.launch) {
      m_.launchItem = f.id;
      m_.launchAt = f.actualStart;
      break;
    }
  auto connectedAt = [&](WallTime t) {
    long long n = 0;
    for (const auto& c : m_.connected) {
      if (c.at > t) break;
      n = c.up + c.degraded;
    }
    return n;
  };
  if (m_.openingAt) m_.connectedAtOpening = connectedAt(*m_.openingAt);
  if (m_.launchAt) m_.connectedAtLaunch = connectedAt(*m_.launchAt);
  // Outputs.
  for (auto& o : m_.outputs) {
    std::sort(o.liveSpans.begin(), o.liveSpans.end(),
              [](const Span& a, const Span& b) { return a.from < b.from; });
    for (std::size_t k = 0; k < o.liveSpans.size(); ++k) {
      const Span& s = o.liveSpans[k];
      o.live = add(o.live, s.ms());
      if (!m_.streamStarted || s.from < *m_.streamStarted) m_.streamStarted = s.from;
      if (!m_.streamEnded || s.to > *m_.streamEnded) m_.streamEnded = s.to;
      if (k > 0 && s.from > o.liveSpans[k - 1].to) {
        Span out{o.liveSpans[k - 1].to, s.from};
        o.outages.push_back(out);
        o.longestOutage = std::max(o.longestOutage, out.ms());
      }
    }
    if (o.liveAtEnd) m_.streamLiveAtEnd = true;
  }
  // Outages: names, order. A point that starts flapping while down has its individual outage
  // closed at that same instant (the summaries count its time): no row of zero length.
  std::erase_if(m_.outages,
                [](const OutageRow& o) { return !o.flapping && o.to && *o.to == o.from; });
  // Outages: names, order.
  for (auto& o : m_.outages) o.name = m_.points[point(o.point)].name;
  std::stable_sort(m_.outages.begin(), m_.outages.end(),
                   [](const OutageRow& a, const OutageRow& b) { return a.from < b.from; });
  // Points: trouble first.
  std::stable_sort(m_.points.begin(), m_.points.end(),
                   [](const PointFigures& a, const PointFigures& b) {
                     if (a.trouble() != b.trouble()) return a.trouble();
                     if (a.trouble()) {
                       if (a.down != b.down) return a.down > b.down;
                       if (a.degraded != b.degraded) return a.degraded > b.degraded;
                       if (a.outages != b.outages) return a.outages > b.outages;
                     }
                     if (a.name != b.name) return a.name < b.name;
                     return a.id < b.id;
                   });
  pointIdx_.clear();  // indices are stale after the sort
  std::stable_sort(m_.log.begin(), m_.log.end(),
                   [](const LogLine& a, const LogLine& b) { return a.at < b.at; });
}

Model computeModel(const JournalRecords& journal, WallTime now, bool draft) {
  Model m;
  m.draft = draft;
  m.generatedAt = now;
  m.end = now;
  m.warnings = journal.warnings;
  std::vector<Rec> recs;
  recs.reserve(journal.records.size());
  for (const auto& j : journal.records) {
    auto at = timeOf(j, "at");
    std::string type = str(j, "type");
    if (at && !type.empty()) recs.push_back({&j, *at, std::move(type)});
  }
  std::optional<std::size_t> last;
  for (std::size_t i = 0; i < recs.size(); ++i)
    if (recs[i].type == "start") last = i;
  if (!last) {
    m.warnings.push_back("Nhật ký không có bản ghi khởi động: báo cáo không có số liệu");
    return m;
  }
  const json& s = *recs[*last].j;
  m.ceremony = str(s, "ceremony");
  m.title = str(s, "title");
  m.date = str(s, "date");
  m.venue = str(s, "venue");
  m.offset = static_cast<int>(
      std::clamp(num(s, "utc_offset_min").value_or(7 * 60), -14LL * 60, 14LL * 60));
  std::vector<std::vector<const Rec*>> segments;
  bool counting = false;
  for (const auto& r : recs) {
    if (r.type == "start") {
      counting = str(*r.j, "ceremony") == m.ceremony;
      if (counting) segments.emplace_back();
    }
    if (counting) segments.back().push_back(&r);
  }
  std::size_t counted = 0;
  for (const auto& seg : segments) counted += seg.size();
  if (counted < recs.size())
    m.warnings.push_back("Có " + std::to_string(recs.size() - counted) +
                         " bản ghi của buổi lễ khác hoặc trước lần khởi động đầu tiên, không tính "
                         "vào báo cáo");
  const Rec& tail = *segments.back().back();
  // The daemon writes an `alive` record every 30 s: a journal silent for longer that does
  // not end with `stop` was cut off (a crash, a power cut) and `now` overstates what was live.
  if (tail.type != "stop" && now - tail.at > Millis(90'000))
    m.warnings.push_back("Bản ghi cuối cùng lúc " + clock(m, tail.at) +
                         ", đã lâu không có bản ghi mới: phần mềm có thể đã dừng đột ngột; "
                         "các số liệu được tính đến thời điểm lập báo cáo");
  m.end = tail.type == "stop" && &tail == &recs.back() ? tail.at : now;
  if (m.end < tail.at) m.end = tail.at;
  Walker w(m);
  w.plan(s);
  w.run(segments);
  return m;
}

}  // namespace ceremony::report::detail
