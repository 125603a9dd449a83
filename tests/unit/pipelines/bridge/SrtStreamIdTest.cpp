// Who an SRT caller says it is: its stream id in SRT's access-control syntax, read before the
// token is compared with its point's.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "pipelines/bridge/SrtListener.h"

namespace ceremony::media {
namespace {

using Who = std::pair<std::string, std::string>;

TEST(SrtStreamId, PointAndTokenInAnyOrder) {
  EXPECT_EQ(SrtListener::parseStreamId("#!::u=nghia-hanh,s=TOKEN"), Who("nghia-hanh", "TOKEN"));
  EXPECT_EQ(SrtListener::parseStreamId("#!::s=TOKEN,u=nghia-hanh"), Who("nghia-hanh", "TOKEN"));
  EXPECT_EQ(SrtListener::parseStreamId("#!::m=request,u=p1,s=T,t=stream"), Who("p1", "T"));
}

TEST(SrtStreamId, TheResourceNamesThePointOnlyWithoutAUser) {
  EXPECT_EQ(SrtListener::parseStreamId("#!::r=p2,s=T"), Who("p2", "T"));
  EXPECT_EQ(SrtListener::parseStreamId("#!::u=p1,r=p2,s=T"), Who("p1", "T"));
  EXPECT_EQ(SrtListener::parseStreamId("#!::r=p2,u=p1,s=T"), Who("p1", "T"));
}

TEST(SrtStreamId, AValueKeepsItsOwnEqualsSigns) {
  EXPECT_EQ(SrtListener::parseStreamId("#!::u=p,s=ab=cd=="), Who("p", "ab=cd=="));
}

TEST(SrtStreamId, WithoutThePrefixAPointOrATokenNobodyIsNamed) {
  EXPECT_FALSE(SrtListener::parseStreamId(""));
  EXPECT_FALSE(SrtListener::parseStreamId("#!::"));
  EXPECT_FALSE(SrtListener::parseStreamId("u=p,s=T"));
  EXPECT_FALSE(SrtListener::parseStreamId("#!:u=p,s=T"));
  EXPECT_FALSE(SrtListener::parseStreamId("#!::u=p"));
  EXPECT_FALSE(SrtListener::parseStreamId("#!::s=T"));
  EXPECT_FALSE(SrtListener::parseStreamId("#!::u=p,s="));
  EXPECT_FALSE(SrtListener::parseStreamId("#!::u,s=T"));
}

TEST(SrtStreamId, AnIdLongerThan512IsRefused) {
  const std::string head = "#!::u=p,s=";
  EXPECT_TRUE(SrtListener::parseStreamId(head + std::string(512 - head.size(), 'x')));
  EXPECT_FALSE(SrtListener::parseStreamId(head + std::string(513 - head.size(), 'x')));
}

}  // namespace
}  // namespace ceremony::media
