#include "app/RunState.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "core/WriteAll.h"
#include "health/HealthEvents.h"  // formatTime, parseTime

namespace ceremony {

namespace {

using nlohmann::json;

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
  // Every field is looked at for its type before it is read: the file is outside input (a
  // disk, an editor, a half-restored backup) and a throw here would stop the daemon from
  // ever starting again.
  auto field = [&](const json& obj, const char* key, json::value_t type) -> const json* {
    auto it = obj.find(key);
    if (it == obj.end()) return nullptr;
    const bool ok = type == json::value_t::number_integer ? it->is_number_integer()
                    : type == json::value_t::number_float ? it->is_number()
                                                          : it->type() == type;
    return ok ? &*it : nullptr;
  };
  auto time = [&](const json& obj, const char* key) -> std::optional<WallTime> {
    const json* t = field(obj, key, json::value_t::string);
    return t ? health::parseTime(t->get_ref<const std::string&>()) : std::nullopt;
  };
  if (!j.is_object()) return fail("not a JSON object");
  const json* version = field(j, "version", json::value_t::number_integer);
  if (!version || *version != 1) return fail("not a version 1 run state");
  RunState s;
  const json* ceremony = field(j, "ceremony", json::value_t::string);
  if (!ceremony) return fail("\"ceremony\" is missing or not a string");
  s.ceremony = ceremony->get<std::string>();
  auto origin = time(j, "origin");
  auto saved = time(j, "saved_at");
  if (!origin || !saved) return fail("\"origin\" or \"saved_at\" is missing or not a time");
  s.origin = *origin;
  s.savedAt = *saved;
  if (auto r = j.find("rehearsal"); r != j.end()) {
    if (!r->is_object()) return fail("\"rehearsal\" is not an object");
    auto start = time(*r, "start");
    if (!start) return fail("the rehearsal start is missing or not a time");
    s.rehearsalStart = *start;
    const json* speed = field(*r, "speed", json::value_t::number_float);
    if (!speed) return fail("the rehearsal speed is missing or not a number");
    s.rehearsalSpeed = speed->get<double>();
    if (!(s.rehearsalSpeed >= 1.0 && s.rehearsalSpeed <= 3600.0))
      return fail("the rehearsal speed is not from 1 to 3600");
  }
  const json* commands = field(j, "commands", json::value_t::array);
  if (!commands) return fail("\"commands\" is missing or not a list");
  for (const auto& c : *commands) {
    if (!c.is_object()) return fail("a command is not an object");
    RecordedCommand rc;
    auto at = time(c, "at");
    if (!at) return fail("a command's time is missing or not readable");
    rc.at = *at;
    const json* op = field(c, "op", json::value_t::string);
    if (!op) return fail("a command's \"op\" is missing or not a string");
    rc.op = op->get<std::string>();
    if (c.contains("arg")) {
      const json* arg = field(c, "arg", json::value_t::string);
      if (!arg) return fail("a command's \"arg\" is not a string");
      rc.arg = arg->get<std::string>();
    }
    if (c.contains("by_ms")) {
      // Whole milliseconds within a day: a float or a huge number is not converted.
      const json* by = field(c, "by_ms", json::value_t::number_integer);
      constexpr std::int64_t kDay = 24LL * 3600 * 1000;
      if (!by || (by->is_number_unsigned() && by->get<std::uint64_t>() > std::uint64_t(kDay)) ||
          (!by->is_number_unsigned() &&
           (by->get<std::int64_t>() < -kDay || by->get<std::int64_t>() > kDay)))
        return fail("a command's \"by_ms\" is not a whole number of milliseconds within a day");
      rc.by = Millis(by->get<std::int64_t>());
    }
    s.commands.push_back(std::move(rc));
  }
  const json* stopped = field(j, "stopped_outputs", json::value_t::array);
  if (!stopped) return fail("\"stopped_outputs\" is missing or not a list");
  for (const auto& o : *stopped) {
    if (!o.is_string()) return fail("a stopped output is not a string");
    s.stoppedOutputs.push_back(o.get<std::string>());
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

LoadedRunState loadRunState(const std::filesystem::path& file) {
  LoadedRunState out;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    out.why = "no saved state";
    return out;
  }
  out.present = true;
  // A run state is a few kilobytes; anything far bigger is not one and is not read whole.
  constexpr std::streamsize kLargest = 16 << 20;
  std::string text(static_cast<std::size_t>(kLargest) + 1, '\0');
  in.read(text.data(), kLargest + 1);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > static_cast<std::size_t>(kLargest)) {
    out.why = file.string() + " is larger than 16 MiB";
    return out;
  }
  out.state = parseRunState(text, &out.why);
  if (!out.state && out.why.rfind("not valid JSON", 0) == 0)
    out.why = file.string() + " is " + out.why;
  return out;
}

std::optional<RunState> parseRunState(std::string_view text, std::string* why) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    if (why) *why = "not valid JSON";
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
