// Points and [health] settings in the TOML config, and points_csv next to it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "health/HealthConfigParser.h"

namespace ceremony::health {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class HealthConfigParserTest : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("ceremonyd-hcp-" + std::to_string(::getpid()));
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  HealthConfig parse(const std::string& toml, Diagnostics& d) {
    HealthConfig out;
    auto root = toml::parse(std::string_view(toml), std::string_view("ceremony.toml"));
    parseHealthSection(root, "ceremony.toml", dir, out, d);
    return out;
  }
  std::string all(const Diagnostics& d) {
    std::string s;
    for (const auto& x : d.all()) s += x.format() + "\n";
    return s;
  }
};

TEST_F(HealthConfigParserTest, PointsWithInlineProbesAndSettings) {
  Diagnostics d;
  auto c = parse(R"(
[health]
interval = "1s"
jitter = "200ms"
down_after = 2
down_window = 3
up_after = 4
degraded_latency = "800ms"
uplink_share = "60%"
uplink_window = "15s"
webhook_url = "http://127.0.0.1:9000/hook"
webhook_token_file = "secrets/webhook.token"

[[points]]
id = "nghia-hanh"
name = "Xã Nghĩa Hành"
kind = "xã"
contact_name = "Nguyễn Văn A"
contact_phone = "0255 3822 123"
probes = [
  { kind = "http", url = "http://10.55.0.11/health", expect_status = 0, connect_timeout = "1s" },
  { kind = "heartbeat", heartbeat_timeout = "20s", token_file = "tokens/nghia-hanh" },
]

[[points]]
id = "thien-tin"
name = "Xã Thiện Tín"
kind = "xã"
contact_phone = "0912345678"
group = "Quảng Ngãi"

[[points.probes]]
kind = "tcp"
target = "10.55.0.11:22"
timeout = "2500ms"
)",
                 d);
  EXPECT_EQ(d.all().size(), 0u) << all(d);
  EXPECT_EQ(c.settings.interval, 1s);
  EXPECT_EQ(c.settings.jitter, 200ms);
  EXPECT_EQ(c.settings.downFailures, 2);
  EXPECT_EQ(c.settings.downWindow, 3);
  EXPECT_EQ(c.settings.upSuccesses, 4);
  EXPECT_EQ(c.settings.degradedLatency, 800ms);
  EXPECT_DOUBLE_EQ(c.settings.uplinkShare, 0.6);
  EXPECT_EQ(c.settings.uplinkWindow, 15s);
  EXPECT_EQ(c.settings.webhookTokenFile, (dir / "secrets/webhook.token").string());
  ASSERT_EQ(c.points.size(), 2u);
  const auto& p = c.points[0];
  EXPECT_EQ(p.name, "Xã Nghĩa Hành");
  EXPECT_EQ(p.origin.line, 14);
  ASSERT_EQ(p.probes.size(), 2u);
  EXPECT_EQ(p.probes[0].name, "http");
  EXPECT_EQ(p.probes[0].expectStatus, 0);
  EXPECT_EQ(p.probes[0].connectTimeout, 1s);
  EXPECT_EQ(p.probes[1].heartbeatTimeout, 20s);
  EXPECT_EQ(p.probes[1].tokenFile, (dir / "tokens/nghia-hanh").string());
  EXPECT_EQ(p.group, "");
  EXPECT_EQ(c.points[1].group, "Quảng Ngãi");
  const auto& tcp = c.points[1].probes.at(0);
  EXPECT_EQ(tcp.name, "tcp");
  EXPECT_EQ(tcp.host, "10.55.0.11");
  EXPECT_EQ(tcp.port, 22);
  EXPECT_EQ(tcp.timeout, 2500ms);
}

TEST_F(HealthConfigParserTest, PointsCsvIsRelativeToTheConfigFile) {
  std::ofstream(dir / "points.csv")
      << "id,name,kind,contact_name,contact_phone,probe_kind,url_or_host,token_file\n"
         "ly-son,Đặc khu Lý Sơn,đặc khu,A,0912345678,heartbeat,,tokens/ly-son\n";
  Diagnostics d;
  auto c = parse("points_csv = \"points.csv\"\n", d);
  EXPECT_EQ(d.all().size(), 0u) << all(d);
  ASSERT_EQ(c.points.size(), 1u);
  EXPECT_EQ(c.points[0].origin.file, "points.csv");
  EXPECT_EQ(c.points[0].probes[0].tokenFile, (dir / "tokens/ly-son").string());
}

TEST_F(HealthConfigParserTest, BadCsvRowFailsTheCheckWithTheCsvLine) {
  std::ofstream(dir / "points.csv") << "id,name,kind\na,Xã A,xã\nb,Xã B,huyện\n";
  Diagnostics d;
  parse("points_csv = \"points.csv\"\n", d);
  EXPECT_EQ(d.exitCode(), 1);
  bool found = false;
  for (const auto& x : d.all())
    found = found || x.format().rfind("points.csv:3:8: lỗi (error): loại điểm cầu", 0) == 0;
  EXPECT_TRUE(found) << all(d);
}

TEST_F(HealthConfigParserTest, SameIdInTomlAndCsvIsAnError) {
  std::ofstream(dir / "points.csv") << "id,name,kind\nly-son,Đặc khu Lý Sơn,đặc khu\n";
  Diagnostics d;
  auto c = parse(R"(
points_csv = "points.csv"
[[points]]
id = "ly-son"
name = "Lý Sơn"
kind = "đặc khu"
contact_phone = "0912345678"
probes = [{ kind = "heartbeat" }]
)",
                 d);
  EXPECT_EQ(d.exitCode(), 1);
  EXPECT_NE(all(d).find("points.csv:2:1: lỗi (error): mã điểm cầu \"ly-son\" bị trùng, đã có ở "
                        "ceremony.toml:3"),
            std::string::npos)
      << all(d);
  EXPECT_EQ(c.points.size(), 1u);
}

// Before: a bearer token went to an http:// webhook across the network in clear, and 100
// retries (each waiting longer) held every later alert back behind one dead receiver.
TEST_F(HealthConfigParserTest, AWebhookTokenNeverCrossesTheNetworkInClear) {
  Diagnostics d;
  parse("[health]\nwebhook_url = \"http://10.1.2.3/hook\"\nwebhook_token_file = \"hook.token\"\n",
        d);
  ASSERT_TRUE(d.hasErrors()) << all(d);
  EXPECT_NE(all(d).find("ceremony.toml:2:15"), std::string::npos) << all(d);
  EXPECT_NE(all(d).find("would cross the network in clear; use https://"), std::string::npos);
  Diagnostics ok;
  parse("[health]\nwebhook_url = \"http://127.0.0.1:9/hook\"\nwebhook_token_file = \"t\"\n", ok);
  parse("[health]\nwebhook_url = \"https://10.1.2.3/hook\"\nwebhook_token_file = \"t\"\n", ok);
  parse("[health]\nwebhook_url = \"http://10.1.2.3/hook\"\n", ok);
  EXPECT_FALSE(ok.hasErrors()) << all(ok);
  Diagnostics many;
  parse("[health]\nwebhook_retries = 100\n", many);
  EXPECT_TRUE(many.hasErrors()) << all(many);
}

TEST_F(HealthConfigParserTest, EachBadPointOrProbeIsAnErrorAtItsLine) {
  Diagnostics d;
  auto c = parse(R"(
[[points]]
id = "a"
name = "Xã A"
kind = "huyện"
probes = [{ kind = "http", url = "http://10.0.0.1/" }]

[[points]]
id = "b"
name = "Xã B"
kind = "xã"
contact_phone = "12"
probes = [{ kind = "ping", url = "10.0.0.2" }]

[[points]]
id = "c"
name = "Xã C"
kind = "xã"
probes = [{ kind = "http", url = "http://10.0.0.3/", timeout = 3000 }]
)",
                 d);
  const std::string text = all(d);
  EXPECT_NE(text.find("ceremony.toml:5:8: lỗi (error): điểm cầu \"a\": loại điểm cầu \"huyện\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ceremony.toml:12:17: lỗi (error): điểm cầu \"b\": số điện thoại"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ceremony.toml:13:20: lỗi (error): điểm cầu \"b\" probe #1: loại phép thử "
                      "\"ping\" không có"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ceremony.toml:19:64: lỗi (error): điểm cầu \"c\" probe #1: 'timeout' must "
                      "be a positive duration with a unit"),
            std::string::npos)
      << text;
  EXPECT_EQ(d.exitCode(), 1);
  EXPECT_TRUE(c.points.empty()) << "half-read points never run";
}

TEST_F(HealthConfigParserTest, BadSettingsAreErrorsTyposAreWarnings) {
  Diagnostics d;
  parse(R"(
[health]
interval = "2s"
jitter = "3s"
down_after = 5
down_window = 4
uplink_share = 1.5
intervall = "1s"
)",
        d);
  const std::string text = all(d);
  EXPECT_NE(text.find("jitter (3s) must be shorter than interval (2s)"), std::string::npos) << text;
  EXPECT_NE(text.find("down_window (4) must be at least down_after (5)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("ceremony.toml:7:16: lỗi (error): [health]: 'uplink_share' must be a share"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ceremony.toml:8:1: cảnh báo (warning): [health] has an unknown key "
                      "'intervall'"),
            std::string::npos)
      << text;
}

TEST_F(HealthConfigParserTest, NoHealthSectionLeavesDocumentedDefaults) {
  Diagnostics d;
  auto c = parse("[event]\nutc_offset = \"+07:00\"\n", d);
  EXPECT_EQ(d.all().size(), 0u) << all(d);
  EXPECT_TRUE(c.points.empty());
  EXPECT_EQ(c.settings.interval, 2s);
  EXPECT_EQ(c.settings.downFailures, 3);
  EXPECT_EQ(c.settings.downWindow, 4);
  EXPECT_EQ(c.settings.upSuccesses, 3);
  EXPECT_EQ(c.settings.utcOffsetMinutes, 420);
}

}  // namespace
}  // namespace ceremony::health
