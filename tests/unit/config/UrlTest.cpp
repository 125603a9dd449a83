// One reading of a URL's parts, and the host:port the reconnect knocks on.
#include "config/Url.h"

#include <gtest/gtest.h>

namespace ceremony {
namespace {

TEST(Url, PartsAreCutWhereTheSeparatorsAre) {
  auto p = splitUrl("RTMPS://user:p%40ss@live-api-s.facebook.com:443/rtmp/KEY?x=1#top");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->scheme, "rtmps");
  EXPECT_EQ(p->userinfo, "user:p%40ss");
  EXPECT_EQ(p->host, "live-api-s.facebook.com:443");
  EXPECT_EQ(p->path, "/rtmp/KEY");
  EXPECT_EQ(p->query, "x=1");
  EXPECT_EQ(p->fragment, "top");
  EXPECT_FALSE(splitUrl("no scheme here"));
  EXPECT_FALSE(splitUrl("://host"));
}

TEST(Url, TheHostAndPortAReconnectKnocksOn) {
  struct Case {
    const char* url;
    std::uint16_t defaultPort;
    const char* host;
    std::uint16_t port;
  };
  for (const Case& c : {
           Case{"rtmps://live-api-s.facebook.com/rtmp/", 443, "live-api-s.facebook.com", 443},
           Case{"rtmp://127.0.0.2:19350/live", 1935, "127.0.0.2", 19350},
           // An IPv6 ingest: the old hand-written parser kept "[::1]:1936" whole, never knocked.
           Case{"rtmp://[::1]:1936/live", 1935, "::1", 1936},
           Case{"rtmp://[2001:db8::5]/live", 1935, "2001:db8::5", 1935},
           Case{"srt://u:pass@10.0.0.1:9000?streamid=x", 0, "10.0.0.1", 9000},
       }) {
    const auto hp = hostPortOf(c.url, c.defaultPort);
    ASSERT_TRUE(hp) << c.url;
    EXPECT_EQ(hp->host, c.host) << c.url;
    EXPECT_EQ(hp->port, c.port) << c.url;
  }
  for (const char* bad : {"rtmp://", "rtmp://:1935/live", "rtmp://host:0/", "rtmp://host:65536/",
                          "rtmp://host:19x/", "rtmp://[::1/live", "rtmp://[::1]x/", "host:1935"})
    EXPECT_FALSE(hostPortOf(bad, 1935)) << bad;
}

}  // namespace
}  // namespace ceremony
