// The operators' commands on the run-of-show and the programme (next, hold, resume, goto,
// extend, cut, cue): each is logged, and those that took effect are journaled for a
// restart. On the io_context thread.
#include <spdlog/spdlog.h>

#include "app/Ceremony.h"
#include "config/TimeSpec.h"

namespace ceremony {

namespace {

constexpr Millis kOperatorLead{200};

}  // namespace

CommandResult Ceremony::operatorCommand(const std::string& what, const CommandResult& result,
                                        nlohmann::json command,
                                        std::optional<WallTime> tookEffect) {
  if (result.ok()) {
    spdlog::info("Lệnh của kỹ thuật viên: {}", what);
    logEvent("operator", what);
    if (command.is_object()) {
      command["who"] = commandSource_;
      command["message"] = what;
      journal("command", std::move(command), tookEffect);
    }
  } else {
    spdlog::warn("Lệnh của kỹ thuật viên bị từ chối: {}: {}", what, result.message);
  }
  publishTimeline();
  publishStatus();
  return result;
}

CommandResult Ceremony::recorded(const CommandResult& result, const std::string& op,
                                 const std::string& arg, Millis by) {
  if (result.ok() && runner_) record({runner_->lastCommandAt(), op, arg, by});
  return result;
}

CommandResult Ceremony::runOfShowCommand(const std::string& what,
                                         const std::function<CommandResult(TimelineRunner&)>& run,
                                         const std::string& op, const std::string& arg, Millis by) {
  if (!runner_)
    return CommandResult::refused(CommandError::NotNow, "the run-of-show is not running");
  nlohmann::json command{{"op", op}};
  if (!arg.empty()) command["arg"] = arg;
  if (by.count()) command["seconds"] = by.count() / 1000;
  // The item it acts on: the one a jump cuts short, else the one on air after it.
  const auto before = timeline_->current();
  const CommandResult result = run(*runner_);
  const auto acted = op == "goto" || op == "next" ? before : timeline_->current();
  if (acted) command["item"] = timeline_->item(*acted, clock_.now()).id;
  return recorded(operatorCommand(what, result, std::move(command), runner_->lastCommandAt()), op,
                  arg, by);
}

CommandResult Ceremony::next() {
  return runOfShowCommand(
      "tiếp (next)", [](TimelineRunner& r) { return r.next(); }, "next");
}

CommandResult Ceremony::hold() {
  return runOfShowCommand(
      "giữ (hold)", [](TimelineRunner& r) { return r.hold(); }, "hold");
}

CommandResult Ceremony::resume() {
  return runOfShowCommand(
      "tiếp tục (resume)", [](TimelineRunner& r) { return r.resume(); }, "resume");
}

CommandResult Ceremony::goTo(const std::string& itemId) {
  return runOfShowCommand(
      "chuyển tới mục «" + itemId + "» (goto)", [&](TimelineRunner& r) { return r.goTo(itemId); },
      "goto", itemId);
}

CommandResult Ceremony::extend(Millis by) {
  return runOfShowCommand(
      "kéo dài " + spanText(by) + " (extend)", [&](TimelineRunner& r) { return r.extend(by); },
      "extend", {}, by);
}

CommandResult Ceremony::cut(const std::string& sceneId) {
  const SceneConfig* scene = config_.findScene(sceneId);
  if (!scene && sceneId.rfind("point:", 0) == 0) {
    // A point on air: one that is sending its picture.
    std::string why;
    scene = pointScene(sceneId, &why);
    if (!scene) return CommandResult::refused(CommandError::UnknownItem, why);
    const std::string pointId = sceneId.substr(6);
    auto r = returns_.find(pointId);
    if (r == returns_.end() || !r->second.connected)
      return CommandResult::refused(CommandError::NotNow,
                                    "điểm cầu «" + pointId + "» chưa gửi hình về (not sending)");
  }
  if (!scene)
    return CommandResult::refused(CommandError::UnknownItem, "no scene «" + sceneId + "»");
  if (scene->kind == SceneKind::Clip)
    return CommandResult::refused(
        CommandError::BadValue,
        "scene «" + sceneId + "» is a clip: clips play as timeline items (use goto)");
  if (!mixer_) return CommandResult::refused(CommandError::NotNow, "the programme is not running");
  mixer_->take("cut-" + std::to_string(++cutCount_), sceneId, *scene, LowerThird{},
               clock_.now() + kOperatorLead);
  steerPointsMix();
  steerReturnFeeds();
  return operatorCommand("cắt sang cảnh «" + sceneId + "» (cut)", CommandResult::done(),
                         {{"op", "cut"}, {"arg", sceneId}});
}

CommandResult Ceremony::cue(const std::string& name) {
  if (!timeline_ || !runner_)
    return CommandResult::refused(CommandError::NotNow, "the run-of-show is not running");
  const auto index = timeline_->find(name);
  if (!index)
    return CommandResult::refused(CommandError::UnknownItem,
                                  "no cue «" + name + "»: a cue is the id of a manual item");
  const ItemStatus item = timeline_->item(*index, clock_.now());
  if (item.cue != CueMode::Manual)
    return CommandResult::refused(CommandError::BadValue,
                                  "item «" + name + "» is not a manual cue (use goto)");
  if (item.state != ItemState::Pending)
    return CommandResult::refused(
        CommandError::NotNow,
        "cue «" + name + "» was already given (the item is " + toString(item.state) + ")");
  nlohmann::json command{{"op", "cue"}, {"arg", name}};
  if (const auto before = timeline_->current())
    command["item"] = timeline_->item(*before, clock_.now()).id;
  const CommandResult result = runner_->goTo(name);
  return recorded(operatorCommand("hiệu lệnh «" + name + "» (cue)", result, std::move(command),
                                  runner_->lastCommandAt()),
                  "goto", name);
}

}  // namespace ceremony
