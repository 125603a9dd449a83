// Detecting a lost or returning signal, apart from what is done about it: the compositor's
// thread asks before each frame, with the time given (here, an injected one).
#include <gtest/gtest.h>

#include "pipelines/inputs/LiveInput.h"

namespace ceremony::media {
namespace {

constexpr gint64 kSecond = 1000000;

// InputWatch holds atomics (it is neither copied nor moved): each test sets one up in place.
void arm(InputWatch& w, gint64 lastFrameUs, gint64 timeoutUs = 2 * kSecond) {
  w.id = "hoi_truong";
  w.timeoutUs = timeoutUs;
  w.lastFrameUs = lastFrameUs;
}

TEST(SignalChange, FramesWithinTheTimeoutChangeNothing) {
  InputWatch w;
  arm(w, 10 * kSecond);
  EXPECT_EQ(signalChange(w, false, 10 * kSecond), SignalChange::None);
  EXPECT_EQ(signalChange(w, false, 12 * kSecond), SignalChange::None);  // exactly the timeout
}

TEST(SignalChange, NoFrameForLongerThanTheTimeoutIsALoss) {
  InputWatch w;
  arm(w, 10 * kSecond);
  EXPECT_EQ(signalChange(w, false, 12 * kSecond + 1), SignalChange::Lost);
  // Its card is already on air: the same silence is not a second loss.
  InputWatch lostWatch;
  arm(lostWatch, 10 * kSecond);
  lostWatch.lostAtUs = 12 * kSecond + 1;
  EXPECT_EQ(signalChange(lostWatch, true, 30 * kSecond), SignalChange::None);
}

TEST(SignalChange, AFrameNewerThanTheLossBringsItBack) {
  InputWatch w;
  arm(w, 10 * kSecond);
  w.lostAtUs = 13 * kSecond;
  EXPECT_EQ(signalChange(w, true, 14 * kSecond), SignalChange::None);
  w.lastFrameUs = 13 * kSecond;  // a frame of the moment of the loss is not newer
  EXPECT_EQ(signalChange(w, true, 14 * kSecond), SignalChange::None);
  w.lastFrameUs = 13 * kSecond + 1;
  EXPECT_EQ(signalChange(w, true, 14 * kSecond), SignalChange::Back);
}

TEST(SignalChange, EachInputHasItsOwnTimeout) {
  InputWatch quick, patient;
  arm(quick, 10 * kSecond, kSecond / 2);
  arm(patient, 10 * kSecond, 5 * kSecond);
  EXPECT_EQ(signalChange(quick, false, 11 * kSecond), SignalChange::Lost);
  EXPECT_EQ(signalChange(patient, false, 11 * kSecond), SignalChange::None);
}

// A picture that stands still while frames come is frozen (its card), back only once it
// moves; if its frames then stop altogether it is lost (and so rebuilt), once.
TEST(SignalChange, AFrozenPictureIsItsOwnLossAndBackOnlyWhenItMoves) {
  InputWatch w;
  arm(w, 10 * kSecond);
  w.frozen = true;
  EXPECT_EQ(signalChange(w, false, 10 * kSecond), SignalChange::Frozen);
  w.lostAtUs = 10 * kSecond;
  w.lastFrameUs = 11 * kSecond;  // frames still come, the same picture
  EXPECT_EQ(signalChange(w, true, 11 * kSecond), SignalChange::None);
  w.frozen = false;  // it moved
  EXPECT_EQ(signalChange(w, true, 11 * kSecond), SignalChange::Back);
  w.frozen = true;
  EXPECT_EQ(signalChange(w, true, 13 * kSecond + 1), SignalChange::Lost) << "frames stopped too";
  w.frozen = false;  // what the mixer does on that loss
  w.lostAtUs = 13 * kSecond + 1;
  EXPECT_EQ(signalChange(w, true, 20 * kSecond), SignalChange::None);
  w.lastFrameUs = 21 * kSecond;  // the rebuilt pipeline's first frame
  EXPECT_EQ(signalChange(w, true, 21 * kSecond), SignalChange::Back);
}

}  // namespace
}  // namespace ceremony::media
