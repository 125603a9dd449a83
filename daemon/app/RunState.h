#pragma once
// What the daemon needs to come back at the right place after a crash or a restart
// (ARCHITECTURE.md, "Resume and systemd"): which ceremony, where its timeline was anchored, every
// operator command with the time it took effect, and which outputs an operator stopped. The
// timeline is pure (Timeline.h), so replaying the commands at their times rebuilds exactly
// the state the daemon had: the current item, holds, extensions and jumps.
//
// Saved as JSON in the state directory on every change, atomically (write a temporary
// file, fsync, rename over the old one, fsync the folder).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/Config.h"
#include "timeline/Timeline.h"
#include "timeline/TimelineRunner.h"

namespace ceremony {

struct RecordedCommand {
  WallTime at;      // when it took effect on the timeline
  std::string op;   // next | hold | resume | goto | extend | clip-ended
  std::string arg;  // goto, clip-ended: the item id
  Millis by{0};     // extend
};

struct RunState {
  std::string ceremony;  // identity: title and date of the event, and the config path
  WallTime origin;       // the Timeline's origin
  std::optional<WallTime> rehearsalStart;  // --rehearsal / demo: where the plan was moved
  double rehearsalSpeed = 1.0;
  std::vector<RecordedCommand> commands;
  std::vector<std::string> stoppedOutputs;
  WallTime savedAt;

  nlohmann::json toJson() const;
  // nullopt (and why) for a file that is not a run state.
  static std::optional<RunState> fromJson(const nlohmann::json& j, std::string* why);
};

// The identity a state must match to be resumed.
std::string ceremonyIdentity(const Config& config);

bool saveRunState(const std::filesystem::path& file, const RunState& state, std::string* error);
struct LoadedRunState {
  std::optional<RunState> state;
  bool present = false;  // a file was there (so, without a state, it is a bad one)
  std::string why;       // why there is no state
};
LoadedRunState loadRunState(const std::filesystem::path& file);
// The text of a state file: nullopt (and why) when it is not JSON or not a run state.
std::optional<RunState> parseRunState(std::string_view text, std::string* why);

// Applies the commands to the timeline in order, each at its time; before each, the
// timeline moves through every deadline as the runner did live (see advance). A command the
// timeline refuses (e.g. a goto to an item a reload removed) is skipped. Returns how many
// were applied.
std::size_t replay(Timeline& timeline, WallTime origin,
                   const std::vector<RecordedCommand>& commands, const RunnerLeads& leads = {});
// Moves the timeline through every deadline due at `now`, each at its own time (never before
// `origin`, when the daemon first started), starts within the take lead as the runner does.
void advance(Timeline& timeline, WallTime origin, WallTime now, const RunnerLeads& leads = {});

}  // namespace ceremony
