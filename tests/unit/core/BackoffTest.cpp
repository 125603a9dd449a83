// The one retry formula, for input rebuilds and RTMP reconnects.
#include "core/Backoff.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ceremony {
namespace {

TEST(Backoff, OneAndAHalfTimesLongerEachTryUpToItsCeiling) {
  using std::chrono::milliseconds;
  EXPECT_EQ(backoffDelay(milliseconds(2000), 0, milliseconds(30000)), milliseconds(2000));
  EXPECT_EQ(backoffDelay(milliseconds(2000), 1, milliseconds(30000)), milliseconds(3000));
  EXPECT_EQ(backoffDelay(milliseconds(2000), 2, milliseconds(30000)), milliseconds(4500));
  EXPECT_EQ(backoffDelay(milliseconds(2000), 6, milliseconds(30000)), milliseconds(22781));
  EXPECT_EQ(backoffDelay(milliseconds(2000), 7, milliseconds(30000)), milliseconds(30000));
  EXPECT_EQ(backoffDelay(milliseconds(1000), 1000, milliseconds(10000)), milliseconds(10000));
  EXPECT_EQ(backoffDelay(milliseconds(1000), -3, milliseconds(10000)), milliseconds(1000));
}

}  // namespace
}  // namespace ceremony
