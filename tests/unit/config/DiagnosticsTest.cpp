#include <gtest/gtest.h>

#include "config/Diagnostics.h"

namespace ceremony {

TEST(Diagnostics, WarningsAloneExitZero) {
  Diagnostics d;
  d.warning("a.toml", 3, 5, "items overlap");
  EXPECT_EQ(d.exitCode(), 0);
  EXPECT_EQ(d.all()[0].format(), "a.toml:3:5: cảnh báo (warning): items overlap");
}

TEST(Diagnostics, ErrorsExitOneFatalTwo) {
  Diagnostics d;
  d.error("a.toml", 1, 1, "unknown scene");
  EXPECT_EQ(d.exitCode(), 1);
  d.fatal("a.toml", 0, 0, "not TOML");
  EXPECT_EQ(d.exitCode(), 2);
}

}  // namespace ceremony
