#include "app/RunState.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "health/HealthEvents.h"  // formatTime, parseTime

namespace ceremony {

namespace {

using nlohmann::json;

bool writeAll(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string ceremonyIdentity(const Config& config) {
  return config.event.title + " | " + config.event.date + " | " + config.path;
}

json RunState::toJson() const {
  json cmds = json::array();
  for (const auto& c : commands) {
    json j{{"at", health::formatTime(c.at, 0)}, {"op", c.op}};
    if (!c.arg.empty()) j["arg"] = c.arg;
    if (c.by.count()) j["by_ms"] = c.by.count();
    cmds.push_back(std::move(j));
  }
  json j{{"version", 1},
         {"ceremony", ceremony},
         {"origin", health::formatTime(origin, 0)},
         {"commands", cmds},
         {"stopped_outputs", stoppedOutputs},
         {"saved_at", health::formatTime(savedAt, 0)}};
  if (rehearsalStart)
    j["rehearsal"] = {{"start", health::formatTime(*rehearsalStart, 0)}, {"speed", rehearsalSpeed}};
  return j;
}

std::optional<RunState> RunState::fromJson(const json& j, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<RunState> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (!j.is_object() || j.value("version", 0) != 1) return fail("not a version 1 run state");
  RunState s;
  try {
    s.ceremony = j.at("ceremony").get<std::string>();
    auto origin = health::parseTime(j.at("origin").get<std::string>());
    auto saved = health::parseTime(j.at("saved_at").get<std::string>());
    if (!origin || !saved) return fail("a time in it is not readable");
    s.origin = *origin;
    s.savedAt = *saved;
    if (auto r = j.find("rehearsal"); r != j.end() && r->is_object()) {
      auto start = health::parseTime(r->at("start").get<std::string>());
      if (!start) return fail("the rehearsal start is not readable");
      s.rehearsalStart = *start;
      s.rehearsalSpeed = r->at("speed").get<double>();
      if (!(s.rehearsalSpeed >= 1.0)) return fail("the rehearsal speed is not >= 1");
    }
    for (const auto& c : j.at("commands")) {
      RecordedCommand rc;
      auto at = health::parseTime(c.at("at").get<std::string>());
      if (!at) return fail("a command's time is not readable");
      rc.at = *at;
      rc.op = c.at("op").get<std::string>();
      rc.arg = c.value("arg", std::string());
      rc.by = Millis(c.value("by_ms", 0LL));
      s.commands.push_back(std::move(rc));
    }
    for (const auto& o : j.at("stopped_outputs")) s.stoppedOutputs.push_back(o.get<std::string>());
  } catch (const json::exception& e) {
    return fail(std::string("a field is missing or of the wrong type (") + e.what() + ")");
  }
  return s;
}

bool saveRunState(const std::filesystem::path& file, const RunState& state, std::string* error) {
  const std::string data = state.toJson().dump(1) + "\n";
  const std::filesystem::path tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (error) *error = "cannot write " + tmp.string() + ": " + std::strerror(errno);
    return false;
  }
  const bool ok = writeAll(fd, data) && ::fsync(fd) == 0;
  const int savedErrno = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    if (error)
      *error = "cannot write " + file.string() + ": " + std::strerror(ok ? errno : savedErrno);
    ::unlink(tmp.c_str());
    return false;
  }
  // The rename itself must reach the disk.
  const int dir = ::open(file.parent_path().empty() ? "." : file.parent_path().c_str(),
                         O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

std::optional<RunState> loadRunState(const std::filesystem::path& file, std::string* why) {
  std::ifstream in(file);
  if (!in) {
    if (why) *why = "no saved state";
    return std::nullopt;
  }
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) {
    if (why) *why = file.string() + " is not valid JSON";
    return std::nullopt;
  }
  return RunState::fromJson(j, why);
}

void advance(Timeline& timeline, WallTime origin, WallTime now, const RunnerLeads& leads) {
  // As the runner does live: every deadline is ticked at its own time (never before the
  // daemon started), a start already when it is within the take lead, an end once due; so
  // no transition is seen late and taken for a mid-ceremony join.
  for (int guard = 0; guard < 100000; ++guard) {
    const auto d = timeline.nextDeadline();
    if (!d || d->at > (d->startsItem ? now + leads.take : now)) break;
    const auto before = timeline.events().size();
    timeline.tick(std::max(d->at, origin));
    const auto after = timeline.nextDeadline();
    if (timeline.events().size() == before && after && after->at == d->at &&
        after->startsItem == d->startsItem)
      break;  // nothing moved: never spin
  }
}

std::size_t replay(Timeline& timeline, WallTime origin,
                   const std::vector<RecordedCommand>& commands, const RunnerLeads& leads) {
  std::size_t applied = 0;
  for (const auto& c : commands) {
    // The runner stamps next, goto and clip ends an operator lead after the moment it got
    // them; everything else at that moment.
    const bool led = c.op == "next" || c.op == "goto" || c.op == "clip-ended";
    advance(timeline, origin, led ? c.at - leads.operatorTake : c.at, leads);
    CommandResult r;
    if (c.op == "next")
      r = timeline.next(c.at);
    else if (c.op == "hold")
      r = timeline.hold(c.at);
    else if (c.op == "resume")
      r = timeline.resume(c.at);
    else if (c.op == "goto")
      r = timeline.goTo(c.arg, c.at);
    else if (c.op == "extend")
      r = timeline.extend(c.by, c.at);
    else if (c.op == "clip-ended")
      r = timeline.clipEnded(c.arg, c.at);
    else
      continue;
    if (r.ok()) ++applied;
  }
  return applied;
}

}  // namespace ceremony
