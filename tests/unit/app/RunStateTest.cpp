// Crash resume: a timeline rebuilt from the journal of operator commands is the timeline the
// operators left, and the journal survives a round trip through its file.
#include "app/RunState.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../timeline/TimelineTestItems.h"

namespace ceremony {
namespace {

using namespace timeline_test;
namespace fs = std::filesystem;

struct Step {
  WallTime at;
  std::string op;
  std::string arg;
  Millis by{0};
};

// Runs the ceremony live (ticking, then commands), journalling as the daemon does.
Timeline live(const std::vector<Step>& steps, WallTime until, std::vector<RecordedCommand>& out) {
  Timeline t(quangNgai(), vn(13, 0));
  for (const auto& s : steps) {
    advance(t, vn(13, 0), s.at);
    CommandResult r;
    if (s.op == "next") r = t.next(s.at);
    if (s.op == "hold") r = t.hold(s.at);
    if (s.op == "resume") r = t.resume(s.at);
    if (s.op == "goto") r = t.goTo(s.arg, s.at);
    if (s.op == "extend") r = t.extend(s.by, s.at);
    if (r.ok()) out.push_back({s.at, s.op, s.arg, s.by});
  }
  advance(t, vn(13, 0), until);
  return t;
}

void expectSame(const Timeline& a, const Timeline& b, WallTime now) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.current(), b.current());
  EXPECT_EQ(a.phase(), b.phase());
  const auto ia = a.items(now), ib = b.items(now);
  for (std::size_t i = 0; i < ia.size(); ++i) {
    EXPECT_EQ(ia[i].state, ib[i].state) << ia[i].id;
    EXPECT_EQ(ia[i].actualStart, ib[i].actualStart) << ia[i].id;
    EXPECT_EQ(ia[i].projectedEnd, ib[i].projectedEnd) << ia[i].id;
  }
}

TEST(RunStateTest, ReplayingTheJournalComesBackAtTheSameItemWithTheAdjustments) {
  // Item 5 (the directive speech) was held for 2 minutes and extended by 5; the ceremony
  // crashed at 14:27 and restarted at 14:27:04.
  std::vector<RecordedCommand> journal;
  const Timeline before = live({{vn(14, 21), "hold", "", {}},
                                {vn(14, 23), "resume", "", {}},
                                {vn(14, 24), "extend", "", Millis(5 * 60 * 1000)},
                                {vn(14, 25), "goto", "khong-co", {}}},
                               vn(14, 27), journal);
  ASSERT_EQ(journal.size(), 3u);  // the refused goto is not journalled
  ASSERT_EQ(before.current(), 4u);

  Timeline after(quangNgai(), vn(13, 0));
  EXPECT_EQ(replay(after, vn(13, 0), journal), 3u);
  advance(after, vn(13, 0), vn(14, 27, 4));
  expectSame(before, after, vn(14, 27, 4));
  // 14:20 + 10 min + 2 min held + 5 min extended.
  EXPECT_EQ(after.item(4, vn(14, 27, 4)).projectedEnd, vn(14, 37));
}

TEST(RunStateTest, AJumpAndTheManualLaunchAreReplayed) {
  std::vector<RecordedCommand> journal;
  const Timeline before = live(
      {{vn(14, 12), "goto", "chi-dao", {}}, {vn(14, 50, 30), "next", "", {}}}, vn(14, 51), journal);
  Timeline after(quangNgai(), vn(13, 0));
  replay(after, vn(13, 0), journal);
  advance(after, vn(13, 0), vn(14, 51));
  expectSame(before, after, vn(14, 51));
}

TEST(RunStateTest, TheFileRoundTripsAndABadFileIsRefusedWithAReason) {
  RunState s;
  s.ceremony = "Lễ Phát động | 2025-07-28 | /etc/ceremonyd/quang-ngai.toml";
  s.origin = vn(13, 0);
  s.rehearsalStart = vn(13, 1, 2);
  s.rehearsalSpeed = 60;
  s.commands = {{vn(14, 21), "hold", "", {}},
                {vn(14, 24), "extend", "", Millis(300000)},
                {vn(14, 25), "goto", "chi-dao", {}}};
  s.stoppedOutputs = {"facebook-backup"};
  s.savedAt = vn(14, 25, 1);

  const fs::path dir = fs::temp_directory_path() / ("runstate-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string error;
  ASSERT_TRUE(saveRunState(dir / "run-state.json", s, &error)) << error;
  EXPECT_FALSE(fs::exists(dir / "run-state.json.tmp"));
  auto loaded = loadRunState(dir / "run-state.json");
  ASSERT_TRUE(loaded.state) << loaded.why;
  auto& back = loaded.state;
  EXPECT_EQ(back->ceremony, s.ceremony);
  EXPECT_EQ(back->origin, s.origin);
  EXPECT_EQ(back->rehearsalStart, s.rehearsalStart);
  EXPECT_EQ(back->rehearsalSpeed, 60);
  ASSERT_EQ(back->commands.size(), 3u);
  EXPECT_EQ(back->commands[1].by, Millis(300000));
  EXPECT_EQ(back->commands[2].arg, "chi-dao");
  EXPECT_EQ(back->stoppedOutputs, s.stoppedOutputs);
  EXPECT_EQ(back->savedAt, s.savedAt);

  std::ofstream(dir / "torn.json") << "{\"version\": 1, \"ceremony\": \"x\", \"orig";
  loaded = loadRunState(dir / "torn.json");
  EXPECT_FALSE(loaded.state);
  EXPECT_TRUE(loaded.present);
  EXPECT_NE(loaded.why.find("not valid JSON"), std::string::npos);
  std::ofstream(dir / "wrong.json") << R"({"version":1,"ceremony":"x","origin":"yesterday"})";
  loaded = loadRunState(dir / "wrong.json");
  EXPECT_FALSE(loaded.state);
  EXPECT_TRUE(loaded.present);
  EXPECT_FALSE(loaded.why.empty());
  loaded = loadRunState(dir / "missing.json");
  EXPECT_FALSE(loaded.state);
  EXPECT_FALSE(loaded.present);
  fs::remove_all(dir);
}

// Before: {"version":"1"} threw nlohmann::type_error out of fromJson (the daemon aborted
// and systemd restarted it for ever) and a float by_ms was converted with undefined
// behaviour. Every one of these is refused with a reason, none throws.
TEST(RunStateTest, AFieldOfTheWrongTypeIsRefusedWithAReasonNeverThrown) {
  const std::string good =
      R"({"version":1,"ceremony":"x","origin":"2025-07-28T13:00:00+07:00",)"
      R"("saved_at":"2025-07-28T14:00:00+07:00","commands":[],"stopped_outputs":[]})";
  std::string why;
  ASSERT_TRUE(parseRunState(good, &why)) << why;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  const std::vector<std::string> bad = {
      R"({"version":"1"})",
      R"({"version":1.5})",
      R"([1,2,3])",
      R"("version")",
      with(R"("ceremony":"x")", R"("ceremony":7)"),
      with(R"("origin":"2025-07-28T13:00:00+07:00")", R"("origin":null)"),
      with(R"("commands":[])", R"("commands":{})"),
      with(R"("commands":[])", R"("commands":[7])"),
      with(R"("commands":[])", R"("commands":[{"at":"2025-07-28T14:00:00Z","op":["next"]}])"),
      with(R"("commands":[])",
           R"("commands":[{"at":"2025-07-28T14:00:00Z","op":"extend","by_ms":1e300}])"),
      with(
          R"("commands":[])",
          R"("commands":[{"at":"2025-07-28T14:00:00Z","op":"extend","by_ms":18446744073709551615}])"),
      with(R"("commands":[])",
           R"("commands":[{"at":"2025-07-28T14:00:00Z","op":"goto","arg":false}])"),
      with(R"("stopped_outputs":[])", R"("stopped_outputs":[{}])"),
      with(R"("commands":[])",
           R"("commands":[],"rehearsal":{"start":"2025-07-28T13:00:00Z","speed":"60"})"),
      with(R"("commands":[])",
           R"("commands":[],"rehearsal":{"start":"2025-07-28T13:00:00Z","speed":1e9})"),
      with(R"("commands":[])", R"("commands":[],"rehearsal":[])"),
  };
  for (const auto& text : bad) {
    why.clear();
    std::optional<RunState> s;
    EXPECT_NO_THROW(s = parseRunState(text, &why)) << text;
    EXPECT_FALSE(s) << text;
    EXPECT_FALSE(why.empty()) << text;
  }
  auto extend = parseRunState(
      with(R"("commands":[])",
           R"("commands":[{"at":"2025-07-28T14:00:00Z","op":"extend","by_ms":300000}])"),
      &why);
  ASSERT_TRUE(extend) << why;
  EXPECT_EQ(extend->commands.at(0).by, Millis(300000));
}

}  // namespace
}  // namespace ceremony
