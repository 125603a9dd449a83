// [[timeline]]: the run-of-show item by item, then as a whole (order, overlaps, length).
#include "config/ConfigTables.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <vector>

namespace ceremony::reading {

namespace {

using namespace std::string_literals;

constexpr auto kFacebookMaxLive = std::chrono::hours{8};

std::string clock(Reading& run, WallTime t) {
  return formatClock(t, run.config.event.utcOffsetMinutes);
}

std::string span(Reading& run, std::optional<WallTime> a, std::optional<WallTime> b) {
  return clock(run, *a) + "–" + clock(run, *b);
}

// "14:00" on the event's day in its timezone; a TOML time; or a full date-time.
std::optional<WallTime> absoluteTime(Reading& run, const toml::node& n, Fields& f,
                                     std::string_view key, std::string_view otherForm) {
  int offset = run.config.event.utcOffsetMinutes;
  if (const auto* dt = n.as_date_time()) {
    const toml::date_time& v = dt->get();
    std::chrono::year_month_day ymd{std::chrono::year{v.date.year},
                                    std::chrono::month{v.date.month}, std::chrono::day{v.date.day}};
    if (!ymd.ok()) {
      run.ctx.error(positionOf(n),
                    f.where() + " " + std::string(key) + " " + shown(n) + " is not a real day");
      return std::nullopt;
    }
    if (v.offset) offset = v.offset->minutes;
    Millis since{((v.time.hour * 60LL + v.time.minute) * 60 + v.time.second) * 1000 +
                 v.time.nanosecond / 1000000};
    return wallTimeOn(Date{ymd}, since, offset);
  }
  if (const auto* s = n.as_string(); s && !parseClockTime(s->get())) {
    run.ctx.error(positionOf(n), f.where() + " " + std::string(key) + " " + inQuotes(s->get()) +
                                     " is not a time; write it like \"14:00\", \"14:00:30\" or " +
                                     std::string(otherForm));
    return std::nullopt;
  }
  auto since = clockOf(run.ctx, n, f, key);
  if (!since) return std::nullopt;
  return wallTimeOn(*run.date, *since, offset);
}

bool readStart(Reading& run, const toml::node& n, Fields& f, ItemConfig& it) {
  if (const auto* s = n.as_string()) {
    std::string_view text = s->get();
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
      auto d = text.front() == '+' ? parseDuration(text.substr(1)) : std::nullopt;
      if (!d) {
        run.ctx.error(positionOf(n), f.where() + " start " + inQuotes(text) +
                                         " is not an offset after the previous item; write it "
                                         "like \"+30s\" or \"+5m\"");
        return false;
      }
      it.startAfterPrevious = *d;
      return true;
    }
  }
  if (auto abs = absoluteTime(run, n, f, "start", "\"+30s\" (after the previous item)")) {
    it.start = *abs;
    return true;
  }
  return false;
}

void readEnd(Reading& run, const toml::node& n, Fields& f, ItemConfig& it) {
  if (const auto* s = n.as_string(); s && !s->get().empty() && s->get().front() == '+') {
    run.ctx.error(positionOf(n), f.where() + " end " + inQuotes(s->get()) +
                                     " is not a time of day; for a length write duration = " +
                                     inQuotes(s->get().substr(1)));
    return;
  }
  if (auto abs = absoluteTime(run, n, f, "end", "duration = \"5m\"")) it.end = *abs;
}

void readLowerThird(Reading& run, const toml::node& n, Fields& item, LowerThird& out) {
  const toml::table* t = n.as_table();
  if (!t) {
    item.typeError(n, "lower_third", "a table like { name = \"Nguyễn Văn A\", role = \"…\" }");
    return;
  }
  Fields f(run.ctx, *t, item.where() + " lower_third");
  if (auto v = f.text("name")) out.name = *v;
  if (auto v = f.text("role")) out.role = *v;
  if (out.empty() && (t->contains("name") || t->contains("role") || t->empty()))
    run.ctx.warning(positionOf(n), f.where() + " has neither name nor role; nothing will show");
  f.reportUnread({"name", "role"});
}

void readItem(Reading& run, const toml::table& t, std::size_t index,
              std::map<std::string, Position>& itemIds) {
  Fields f(run.ctx, t, "timeline item " + std::to_string(index));
  ItemConfig it;
  it.pos = f.pos();
  if (auto id = f.requiredText("id",
                               " (a short name like \"gioi-thieu\" operators use to "
                               "jump to it)")) {
    it.id = *id;
    f.setWhere("timeline item '" + *id + "'");
    Position ip = positionOf(*t.get("id"));
    if (!validId(*id))
      run.ctx.error(ip, "timeline item id " + inQuotes(*id) +
                            " may only use letters a–z, digits, '-' and '_' (it is used in URLs "
                            "and logs)");
    auto [seen, fresh] = itemIds.emplace(*id, ip);
    if (!fresh)
      run.ctx.error(ip, "duplicate timeline item id " + inQuotes(*id) + " (already used at line " +
                            std::to_string(seen->second.line) + ")");
  }
  if (auto v = f.text("title")) it.title = *v;
  if (it.title.empty()) {
    if (!it.id.empty())
      run.ctx.warning(f.pos(), f.where() + " has no title; operators will see its id instead");
    it.title = it.id;
  }
  if (auto v = f.requiredText("scene", " (the id of a scene in [scenes])")) {
    it.scene = *v;
    if (!run.declaredScenes.count(*v))
      run.ctx.error(positionOf(*t.get("scene")), f.where() + " scene " + inQuotes(*v) +
                                                     " is not a scene in [scenes]" +
                                                     suggestion(*v, run.declaredScenes));
  }

  bool startOk = true;
  if (const toml::node* s = f.take("start")) startOk = readStart(run, *s, f, it);
  if (const toml::node* e = f.take("end")) readEnd(run, *e, f, it);
  if (const toml::node* d = f.take("duration")) {
    if (t.contains("end")) {
      run.ctx.error(positionOf(*d), f.where() + " has both end and duration; give one of them");
    } else if (auto v = durationOf(run.ctx, *d, f, "duration")) {
      if (v->count() <= 0)
        run.ctx.error(positionOf(*d), f.where() + " duration must be longer than 0");
      else
        it.duration = *v;
    }
  }

  // The cue: written, or "at" for a wall-clock start and "after" otherwise.
  it.cue = it.start ? CueMode::At : CueMode::After;
  if (auto v = f.text("cue")) {
    Position cp = positionOf(*t.get("cue"));
    if (*v == "at") {
      it.cue = CueMode::At;
      if (it.startAfterPrevious)
        run.ctx.error(cp, f.where() +
                              " has cue = \"at\" but a relative start; \"at\" needs a "
                              "wall-clock start like \"14:00\"");
      else if (!it.start && startOk)
        run.ctx.error(cp, f.where() +
                              " has cue = \"at\" but no start time; add start = "
                              "\"14:00\" or use cue = \"after\" or \"manual\"");
    } else if (*v == "after") {
      it.cue = CueMode::After;
    } else if (*v == "manual") {
      it.cue = CueMode::Manual;
    } else {
      run.ctx.error(cp, f.where() + " cue " + inQuotes(*v) +
                            " is not a cue; use \"at\", \"after\" or \"manual\"" +
                            suggestion(*v, std::vector<std::string_view>{"at", "after", "manual"}));
    }
  }
  if (index == 1 && it.cue == CueMode::After && !it.start && startOk)
    run.ctx.error(it.startAfterPrevious ? positionOf(*t.get("start")) : f.pos(),
                  f.where() +
                      " is the first item, so it cannot follow a previous one; give it a "
                      "start time like \"14:00\" or cue = \"manual\"");

  if (it.start && it.end && *it.end <= *it.start)
    run.ctx.error(positionOf(*t.get("end")),
                  f.where() + " ends at " + clock(run, *it.end) + ", " +
                      (*it.end == *it.start ? "the same moment it starts"s
                                            : "before it starts at " + clock(run, *it.start)));

  if (const toml::node* l = f.take("lower_third")) readLowerThird(run, *l, f, it.lowerThird);
  // The launch moment ("bấm nút"): the report counts the points connected when it starts.
  if (auto v = f.boolean("launch")) {
    it.launch = *v;
    if (*v) {
      if (run.launchItem.line != 0)
        run.ctx.error(positionOf(*t.get("launch")),
                      f.where() +
                          " is marked launch = true, but the launch moment is already the "
                          "item at line " +
                          std::to_string(run.launchItem.line) + "; mark only one item");
      else
        run.launchItem = positionOf(*t.get("launch"));
    }
  }
  if (auto v = f.boolean("expect_sound")) it.expectSound = *v;
  f.reportUnread({"id", "title", "start", "end", "duration", "scene", "cue", "lower_third",
                  "launch", "expect_sound"});
  run.config.timeline.push_back(std::move(it));
}

}  // namespace

void readTimeline(Reading& run, const toml::node* n) {
  if (!n) {
    run.ctx.error({},
                  "the timeline has no items: add [[timeline]] entries with id, title, "
                  "start and scene");
    return;
  }
  const toml::array* items = n->as_array();
  if (!items) {
    run.ctx.error(positionOf(*n),
                  "timeline must be a list of [[timeline]] items (two brackets), "
                  "not " +
                      typeName(*n));
    return;
  }
  if (items->empty()) {
    run.ctx.error(positionOf(*n), "the timeline has no items: add [[timeline]] entries");
    return;
  }
  std::map<std::string, Position> itemIds;  // id → where it was first given
  std::size_t index = 0;
  for (const toml::node& element : *items) {
    ++index;
    const toml::table* t = element.as_table();
    if (!t) {
      run.ctx.error(positionOf(element), "timeline item " + std::to_string(index) +
                                             " must be a table ([[timeline]] with id = …), not " +
                                             typeName(element));
      continue;
    }
    readItem(run, *t, index, itemIds);
  }
}

// Planned times of the whole run-of-show, for the checks that need neighbours: overlaps,
// order, ends before starts of relative items, the 8-hour Facebook limit.
void planTimeline(Reading& run) {
  if (run.declaredOutputs == 0)
    run.ctx.warning({},
                    "there are no [outputs]: the programme is produced but goes nowhere "
                    "(add [outputs.recording] kind = \"record\" or an RTMP output)");
  auto& items = run.config.timeline;
  struct Planned {
    std::optional<WallTime> start, end;
  };
  std::vector<Planned> plan(items.size());
  std::optional<WallTime> previousEnd;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const ItemConfig& it = items[i];
    Planned& p = plan[i];
    if (it.start)
      p.start = it.start;
    else if (i > 0 && previousEnd)
      p.start = *previousEnd + it.startAfterPrevious.value_or(Millis{0});
    if (it.end)
      p.end = it.end;
    else if (p.start && it.duration)
      p.end = *p.start + *it.duration;
    else if (p.start)
      if (const SceneConfig* s = run.config.findScene(it.scene);
          s && s->kind == SceneKind::Clip && s->clip.isTest() && s->clip.testDurationSeconds > 0)
        p.end = *p.start + Millis{static_cast<std::int64_t>(s->clip.testDurationSeconds * 1000)};
    if (!it.start && p.start && it.end && *it.end <= *p.start)
      run.ctx.error(it.pos, "timeline item '" + it.id + "' ends at " + clock(run, *it.end) +
                                ", before it starts (after the previous item) at " +
                                clock(run, *p.start));
    if (i > 0 && it.start && plan[i - 1].start && *it.start < *plan[i - 1].start)
      run.ctx.warning(it.pos, "timeline item '" + it.id + "' starts at " + clock(run, *it.start) +
                                  ", before the item above it ('" + items[i - 1].id + "', " +
                                  clock(run, *plan[i - 1].start) +
                                  "); items run in the order they are written");
    previousEnd = p.end;
  }

  // Overlaps: sweep in start order, comparing with the item that reaches furthest.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < items.size(); ++i)
    if (plan[i].start && plan[i].end && *plan[i].end > *plan[i].start) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return *plan[a].start < *plan[b].start; });
  std::optional<std::size_t> furthest;
  for (std::size_t i : order) {
    if (furthest && *plan[i].start < *plan[*furthest].end) {
      std::size_t a = std::min(*furthest, i), b = std::max(*furthest, i);
      run.ctx.warning(items[b].pos,
                      "items '" + items[a].id + "' (" + span(run, plan[a].start, plan[a].end) +
                          ") and '" + items[b].id + "' (" + span(run, plan[b].start, plan[b].end) +
                          ") overlap; the later start cuts the earlier item short");
    }
    if (!furthest || *plan[i].end > *plan[*furthest].end) furthest = i;
  }

  // Facebook ends a live video after 8 hours.
  std::optional<WallTime> first, last;
  for (const auto& p : plan) {
    if (p.start && (!first || *p.start < *first)) first = p.start;
    if (p.end && (!last || *p.end > *last)) last = p.end;
  }
  bool anyRtmp = std::any_of(run.config.outputs.begin(), run.config.outputs.end(),
                             [](const OutputConfig& o) { return o.kind == OutputKind::Rtmp; });
  if (anyRtmp && first && last && *last - *first > kFacebookMaxLive)
    run.ctx.warning({}, "the timeline runs " + formatDuration(*last - *first) + " (" +
                            clock(run, *first) + "–" + clock(run, *last) +
                            "); Facebook ends a live video after 8 hours");
}

}  // namespace ceremony::reading
