// [bridge], and the points that watch the programme over it.
#include <gtest/gtest.h>

#include "ConfigTestSupport.h"
#include "config/ConfigParser.h"

namespace ceremony {
namespace {

using namespace config_test;
using namespace std::chrono;

// ---------------------------------------------------------------------------------------
// [bridge]: connection points watch the programme over WebRTC

// kBase + kOneItem end on line 16: what these tests add begins on line 17.
constexpr int kItemLines = kBaseLines + 5;

TEST_F(ConfigParser, WithoutABridgeTableTheBridgeIsOff) {
  LoadResult r = parse(withBase(kOneItem));
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_FALSE(r.config->bridge.enabled);
}

TEST_F(ConfigParser, ABridgeTableTurnsItOnWithTheDefaults) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  const BridgeConfig& b = r.config->bridge;
  EXPECT_TRUE(b.enabled);
  EXPECT_EQ(b.maxViewers, 150);
  EXPECT_EQ(b.audioBitrateKbps, 64);
  EXPECT_EQ(b.pos.line, kItemLines + 1);
}

TEST_F(ConfigParser, BridgeKeysAreRead) {
  LoadResult r = parse(withBase(kOneItem) +
                       "[bridge]\nenabled = false\nmax_viewers = 1000\naudio_bitrate_kbps = 16\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  EXPECT_FALSE(r.config->bridge.enabled);
  EXPECT_EQ(r.config->bridge.maxViewers, 1000);
  EXPECT_EQ(r.config->bridge.audioBitrateKbps, 16);
  r = parse(withBase(kOneItem) + "[bridge]\nmax_viewers = 1\naudio_bitrate_kbps = 256\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.maxViewers, 1);
  EXPECT_EQ(r.config->bridge.audioBitrateKbps, 256);
}

TEST_F(ConfigParser, BridgeMaxViewersOutOfRangeIsAnErrorAtTheValue) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\nmax_viewers = 0\n");
  EXPECT_DIAGNOSTIC(r, "[bridge] max_viewers must be between 1 and 1000, not 0", Severity::Error,
                    kItemLines + 2, 15);
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.diagnostics.exitCode(), 1);
  r = parse(withBase(kOneItem) + "[bridge]\nenabled = true\nmax_viewers = 1001\n");
  EXPECT_DIAGNOSTIC(r, "[bridge] max_viewers must be between 1 and 1000, not 1001", Severity::Error,
                    kItemLines + 3, 15);
  r = parse(withBase(kOneItem) + "[bridge]\nmax_viewers = \"many\"\n");
  EXPECT_DIAGNOSTIC(r, "max_viewers must be a whole number", Severity::Error, kItemLines + 2, 15);
}

TEST_F(ConfigParser, BridgeAudioBitrateOutOfRangeIsAnError) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\naudio_bitrate_kbps = 8\n");
  EXPECT_DIAGNOSTIC(r, "[bridge] audio_bitrate_kbps must be between 16 and 256, not 8",
                    Severity::Error, kItemLines + 2, 22);
  r = parse(withBase(kOneItem) + "[bridge]\naudio_bitrate_kbps = 257\n");
  EXPECT_DIAGNOSTIC(r, "[bridge] audio_bitrate_kbps must be between 16 and 256, not 257",
                    Severity::Error, kItemLines + 2, 22);
}

TEST_F(ConfigParser, BridgeReturnFloodFactorIsReadAndCheckedAtTheValue) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.returnFloodFactor, 3);
  r = parse(withBase(kOneItem) + "[bridge]\nreturn_flood_factor = 4.5\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  EXPECT_EQ(r.config->bridge.returnFloodFactor, 4.5);
  r = parse(withBase(kOneItem) + "[bridge]\nreturn_flood_factor = 2\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.returnFloodFactor, 2);
  r = parse(withBase(kOneItem) + "[bridge]\nenabled = true\nreturn_flood_factor = 1.2\n");
  EXPECT_DIAGNOSTIC(r,
                    "[bridge] return_flood_factor must be between 1.5 and 20 (how many times "
                    "return_bitrate_kbps a point may send for 5 s before it is cut off), not 1.2",
                    Severity::Error, kItemLines + 3, 23);
  EXPECT_FALSE(r.config);
  r = parse(withBase(kOneItem) + "[bridge]\nreturn_flood_factor = \"a lot\"\n");
  EXPECT_DIAGNOSTIC(r, "return_flood_factor must be a number", Severity::Error, kItemLines + 2, 23);
}

TEST_F(ConfigParser, UnknownBridgeKeyIsAWarning) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\nmax_viewer = 20\n");
  EXPECT_DIAGNOSTIC(r,
                    "[bridge] has an unknown key 'max_viewer', probably a typo (did you mean "
                    "'max_viewers'?); it is ignored",
                    Severity::Warning, kItemLines + 2, 1);
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.config->bridge.enabled);
  EXPECT_EQ(r.config->bridge.maxViewers, 150);
  EXPECT_EQ(r.diagnostics.exitCode(), 0);
}

TEST_F(ConfigParser, BridgeThatIsNotATableIsAnError) {
  // At the top: after [[timeline]] it would be a key of the item.
  LoadResult r = parse("bridge = true\n" + withBase(kOneItem));
  const Diagnostic* d = find(r, "[bridge]");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->severity, Severity::Error) << d->format();
  EXPECT_FALSE(r.config);
}

const char* kBridgePoint = R"([[points]]
id = "nghia-hanh"
name = "Xã Nghĩa Hành"
kind = "xã"
contact_phone = "0255 3822 123"
)";

TEST_F(ConfigParser, BridgeProbeNeedsTheTokenFile) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
                       "probes = [{ kind = \"bridge\", heartbeat_timeout = \"30s\" }]\n");
  const Diagnostic* d = find(r, "phép thử bridge cần token_file");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->severity, Severity::Error) << d->format();
  EXPECT_NE(d->message.find("(missing token_file)"), std::string::npos) << d->format();
  EXPECT_EQ(d->line, kItemLines + 7) << d->format();
  EXPECT_FALSE(r.config);
}

TEST_F(ConfigParser, BridgeProbeWithItsTokenFileIsAccepted) {
  dir_.write("tokens/nghia-hanh", "p1-secret-5f2c8a91\n");
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
                       "probes = [{ kind = \"bridge\", token_file = \"tokens/nghia-hanh\", "
                       "heartbeat_timeout = \"30s\" }]\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  ASSERT_EQ(r.config->health.points.size(), 1u);
  const auto& probe = r.config->health.points[0].probes.at(0);
  EXPECT_EQ(probe.kind, "bridge");
  EXPECT_EQ(probe.heartbeatTimeout, 30s);
  EXPECT_EQ(probe.tokenFile, (dir_.path() / "tokens/nghia-hanh").string());
}

// Before: any token was taken, one of 3 bytes or one file shared by every point (so one
// point could vouch for all). Both are errors at the probe's line and column now.
TEST_F(ConfigParser, APointsTokenIsAtLeastSixteenBytesAndItsOwn) {
  dir_.write("tokens/short", "abc123\n");
  dir_.write("tokens/shared", "shared-token-0123456789\n");
  const std::string second = R"([[points]]
id = "ba-to"
name = "Xã Ba Tơ"
kind = "xã"
contact_phone = "0255 3822 124"
)";
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
                       "probes = [{ kind = \"bridge\", token_file = \"tokens/short\" }]\n");
  EXPECT_DIAGNOSTIC(r, "is 6 bytes; a point's token needs at least 16", Severity::Error,
                    kItemLines + 7, 11);
  EXPECT_FALSE(r.config);
  EXPECT_EQ(dump(r).find("abc123"), std::string::npos) << "the token itself is never shown";

  r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
            "probes = [{ kind = \"bridge\", token_file = \"tokens/shared\" }]\n" + second +
            "probes = [{ kind = \"heartbeat\", token_file = \"tokens/shared\" }]\n");
  EXPECT_DIAGNOSTIC(r,
                    "\"ba-to\" has the same token as \"nghia-hanh\" (test.toml:" +
                        std::to_string(kItemLines + 7) + ")",
                    Severity::Error, kItemLines + 13, 11);
  EXPECT_FALSE(r.config);
  EXPECT_EQ(dump(r).find("shared-token"), std::string::npos);

  // A file that cannot be read is that point's problem, not the ceremony's: a warning.
  r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
            "probes = [{ kind = \"bridge\", token_file = \"tokens/missing\" }]\n");
  EXPECT_DIAGNOSTIC(r, "does not exist; the point cannot prove itself", Severity::Warning,
                    kItemLines + 7, 11);
  EXPECT_TRUE(r.config) << dump(r);
}

TEST_F(ConfigParser, BridgeProbeWithTheBridgeOffIsAWarning) {
  dir_.write("tokens/nghia-hanh", "p1-secret-5f2c8a91\n");
  LoadResult r = parse(withBase(kOneItem) + kBridgePoint +
                       "probes = [{ kind = \"bridge\", token_file = \"tokens/nghia-hanh\" }]\n");
  const Diagnostic* d = find(r, "a bridge probe while the bridge is off");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->severity, Severity::Warning) << d->format();
  EXPECT_EQ(d->line, kItemLines + 6) << d->format();
  EXPECT_TRUE(r.config) << dump(r);
  // With the bridge on, no such warning.
  r = parse(withBase(kOneItem) + "[bridge]\n" + kBridgePoint +
            "probes = [{ kind = \"bridge\", token_file = \"tokens/nghia-hanh\" }]\n");
  EXPECT_EQ(find(r, "a bridge probe while the bridge is off"), nullptr) << dump(r);
}

TEST_F(ConfigParser, BridgeSrtListenIsCheckedByLineAndColumn) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\nsrt_listen = \"9000\"\n");
  const Diagnostic* d = find(r, "[bridge] srt_listen \"9000\" must be an address and a port");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->severity, Severity::Error);
  EXPECT_EQ(d->line, kItemLines + 2);
  EXPECT_EQ(d->column, 14);
  r = parse(withBase(kOneItem) + "[bridge]\nsrt_listen = \"0.0.0.0:9000\"\nsrt_latency_ms = 120\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.srtListen, "0.0.0.0:9000");
  EXPECT_EQ(r.config->bridge.srtLatencyMs, 120);
}

TEST_F(ConfigParser, BridgeSrtPublishPortIsOffByDefaultAndCheckedByLineAndColumn) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.srtPublishPort, 0);
  r = parse(withBase(kOneItem) + "[bridge]\nsrt_publish_port = 70000\n");
  ASSERT_FALSE(r.config) << dump(r);
  const Diagnostic* d = find(r, "srt_publish_port");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->severity, Severity::Error);
  EXPECT_EQ(d->line, kItemLines + 2);
  EXPECT_EQ(d->column, 20);
  r = parse(withBase(kOneItem) +
            "[bridge]\nsrt_listen = \"0.0.0.0:9000\"\nsrt_publish_port = 9000\n");
  d = find(r, "[bridge] srt_publish_port 9000 is srt_listen's port");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->line, kItemLines + 3);
  EXPECT_EQ(d->column, 20);
  EXPECT_FALSE(r.config);
  r = parse(withBase(kOneItem) +
            "[bridge]\nsrt_listen = \"0.0.0.0:9000\"\nsrt_publish_port = 9001\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.srtPublishPort, 9001);
}

TEST_F(ConfigParser, BridgeRelayIsAMediaServersAddressAndPortsGoInPairs) {
  LoadResult r =
      parse(withBase(kOneItem) +
            "[bridge]\nrelay_video = \"0.0.0.0:5004\"\nrelay_audio = \"10.0.0.5:5002\"\n");
  const Diagnostic* d = find(r, "[bridge] relay_video \"0.0.0.0:5004\" must be the media server");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->severity, Severity::Error);
  EXPECT_EQ(d->line, kItemLines + 2);
  EXPECT_EQ(d->column, 15);
  EXPECT_FALSE(r.config);
  r = parse(withBase(kOneItem) + "[bridge]\nrelay_video = \"10.0.0.5:5004\"\n");
  EXPECT_NE(find(r, "relay_video and relay_audio go together"), nullptr) << dump(r);
  EXPECT_FALSE(r.config);
  r = parse(withBase(kOneItem) +
            "[bridge]\nrelay_video = \"10.0.0.5:5004\"\nrelay_audio = \"10.0.0.5:5002\"\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.relayVideo, "10.0.0.5:5004");
  EXPECT_EQ(r.config->bridge.relayAudio, "10.0.0.5:5002");
}

TEST_F(ConfigParser, BridgeAddressAndUdpPortsAreCheckedForTheFirewall) {
  LoadResult r = parse(withBase(kOneItem) + "[bridge]\naddress = \"tinh.example.vn\"\n");
  const Diagnostic* d = find(r, "[bridge] address \"tinh.example.vn\" must be an IP address");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->line, kItemLines + 2);
  EXPECT_EQ(d->column, 11);
  r = parse(withBase(kOneItem) + "[bridge]\nudp_port_min = 40000\n");
  EXPECT_NE(find(r, "udp_port_min and udp_port_max go together"), nullptr) << dump(r);
  r = parse(withBase(kOneItem) +
            "[bridge]\nmax_viewers = 150\nudp_port_min = 40000\nudp_port_max = 40099\n");
  d = find(r, "holds 100 ports: each viewer takes one, and max_viewers is 150");
  ASSERT_NE(d, nullptr) << dump(r);
  EXPECT_EQ(d->line, kItemLines + 4);
  r = parse(withBase(kOneItem) + "[bridge]\nudp_port_min = 41000\nudp_port_max = 40000\n");
  EXPECT_NE(find(r, "udp_port_max must not be below udp_port_min"), nullptr) << dump(r);
  r = parse(withBase(kOneItem) +
            "[bridge]\naddress = \"203.0.113.10\"\nudp_port_min = 40000\nudp_port_max = 40999\n");
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_EQ(r.config->bridge.address, "203.0.113.10");
  EXPECT_EQ(r.config->bridge.udpPortMin, 40000);
  EXPECT_EQ(r.config->bridge.udpPortMax, 40999);
}

}  // namespace
}  // namespace ceremony
