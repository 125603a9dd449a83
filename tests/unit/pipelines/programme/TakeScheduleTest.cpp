#include <gtest/gtest.h>

#include "pipelines/programme/TakeSchedule.h"

namespace ceremony::media {
namespace {

SceneLayout showing(const std::string& sourceId) {
  SceneLayout l;
  l.video.push_back(Layer{LayerKey::source(sourceId), 0, 0, 1280, 720, 1});
  return l;
}

std::string shown(const std::optional<SceneLayout>& l) {
  return l ? l->video.at(0).key.id : "(nothing)";
}

}  // namespace

TEST(TakeSchedule, NothingIsDueBeforeItsRunningTime) {
  TakeSchedule s;
  EXPECT_EQ(shown(s.popDue(0)), "(nothing)");
  s.add(1000, showing("hall"));
  EXPECT_EQ(shown(s.popDue(999)), "(nothing)");
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(shown(s.popDue(1000)), "hall");  // due at exactly its time
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(shown(s.popDue(5000)), "(nothing)");  // applied once
}

TEST(TakeSchedule, SeveralDueAtOnceShowTheLatest) {
  TakeSchedule s;
  s.add(0, showing("preshow"));
  s.add(100, showing("hall"));
  s.add(200, showing("cam2"));
  s.add(900, showing("later"));
  EXPECT_EQ(shown(s.popDue(250)), "cam2");
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(shown(s.popDue(900)), "later");
}

TEST(TakeSchedule, ALaterTakeDropsAnythingQueuedAtOrAfterIt) {
  TakeSchedule s;
  s.add(100, showing("a"));
  s.add(300, showing("b"));
  s.add(500, showing("c"));
  s.add(300, showing("d"));  // replaces b (same time) and c (after)
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(shown(s.popDue(100)), "a");
  EXPECT_EQ(shown(s.popDue(1000)), "d");

  s.add(500, showing("e"));
  s.add(50, showing("f"));  // an immediate take (running time already past) drops e
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(shown(s.popDue(60)), "f");
}

}  // namespace ceremony::media

namespace ceremony::media {

TEST(OnAirTrack, AppliesADueLayoutOnceAndAgainOnlyWhenAskedTo) {
  OnAirTrack track;
  EXPECT_EQ(track.advance(0), OnAirTrack::Step::Nothing);
  track.schedule.add(100, showing("hall"));
  EXPECT_EQ(track.advance(50), OnAirTrack::Step::Nothing);
  EXPECT_EQ(track.advance(100), OnAirTrack::Step::Due);
  EXPECT_EQ(track.onAir.video.at(0).key.id, "hall");
  EXPECT_EQ(track.advance(133), OnAirTrack::Step::Nothing);
  track.dirty = true;  // a layer lost its picture
  EXPECT_EQ(track.advance(166), OnAirTrack::Step::Again);
  EXPECT_FALSE(track.dirty);
  EXPECT_EQ(track.advance(200), OnAirTrack::Step::Nothing);
  track.schedule.add(250, showing("cam2"));
  track.dirty = true;
  EXPECT_EQ(track.advance(300), OnAirTrack::Step::Due);  // due wins over again
  EXPECT_FALSE(track.dirty);
  EXPECT_EQ(track.onAir.video.at(0).key.id, "cam2");
}

}  // namespace ceremony::media
