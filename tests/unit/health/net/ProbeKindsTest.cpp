// The kinds the configuration accepts (health/ProbeSpecRules, in the pure core) and the
// kinds the prober can run (health/net/Probes, with libcurl) are written in two places on
// either side of the library boundary: they must stay the same list.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "health/ProbeSpecRules.h"
#include "health/net/Probes.h"

namespace ceremony::health {
namespace {

TEST(ProbeKinds, TheConfigAcceptsExactlyTheKindsTheProberRuns) {
  std::vector<std::string> accepted;
  for (auto k : probeKinds()) accepted.emplace_back(k);
  EXPECT_EQ(accepted, ProbeKinds::builtin().kinds());
  EXPECT_EQ(probeKindList(), "bridge, heartbeat, http, https, tcp");
  EXPECT_FALSE(probeKindExists("icmp"));
  EXPECT_TRUE(probeKindExists("heartbeat"));
}

}  // namespace
}  // namespace ceremony::health
