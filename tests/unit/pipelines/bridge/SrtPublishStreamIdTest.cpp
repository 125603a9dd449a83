// The stream id a point's encoder gives the bridge's SRT publish port.
#include <gtest/gtest.h>
#include <srt/access_control.h>

#include <string>
#include <vector>

#include "pipelines/bridge/SrtPublish.h"

namespace ceremony::media {
namespace {

TEST(SrtPublishStreamId, ReadsTheAccessControlKeysInAnyOrder) {
  auto id = parseSrtStreamId("#!::r=nghia-hanh,m=publish");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->resource, "nghia-hanh");
  EXPECT_EQ(id->mode, "publish");
  id = parseSrtStreamId("#!::u=obs,m=publish,r=ba-to,t=stream");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->resource, "ba-to");
  EXPECT_EQ(id->user, "obs");
  id = parseSrtStreamId("#!::r=a=b");  // a value may hold '='
  ASSERT_TRUE(id);
  EXPECT_EQ(id->resource, "a=b");
}

TEST(SrtPublishStreamId, RefusesWhatIsNotThatSyntax) {
  for (const std::string& bad : std::vector<std::string>{
           "", "nghia-hanh", "#!::", "#!:r=x", "#!::r", "#!::=x", "#!::r=x,,m=publish",
           "#!::r=a,r=b,m=publish", "#!::r=x,", std::string("#!::r=") + std::string(600, 'x')})
    EXPECT_FALSE(parseSrtStreamId(bad)) << bad;
}

TEST(SrtPublishStreamId, OnlyAPublisherNamingAPointIsLetThrough) {
  auto d = decideSrtPublish("#!::m=publish,r=nghia-hanh");
  EXPECT_EQ(d.pointId, "nghia-hanh");
  EXPECT_EQ(d.rejectCode, 0);
  d = decideSrtPublish("#!::r=nghia-hanh");  // SRT's default mode is request
  EXPECT_EQ(d.pointId, "");
  EXPECT_EQ(d.rejectCode, SRT_REJX_BAD_MODE);
  EXPECT_NE(d.why.find("request"), std::string::npos) << d.why;
  d = decideSrtPublish("#!::r=nghia-hanh,m=request");
  EXPECT_EQ(d.rejectCode, SRT_REJX_BAD_MODE);
  d = decideSrtPublish("#!::m=publish");
  EXPECT_EQ(d.rejectCode, SRT_REJX_BAD_REQUEST);
  d = decideSrtPublish("");
  EXPECT_EQ(d.rejectCode, SRT_REJX_BAD_REQUEST);
  EXPECT_EQ(d.why, "no stream id");
  // The viewers' form (u= and s=, the token in the stream id) is not a publisher's.
  d = decideSrtPublish("#!::u=nghia-hanh,s=SECRET");
  EXPECT_EQ(d.pointId, "");
  EXPECT_EQ(d.why.find("SECRET"), std::string::npos) << d.why;
}

}  // namespace
}  // namespace ceremony::media
