// What a webhook receiver gets: the point, whom to call, what changed and when.
#include <gtest/gtest.h>

#include "HealthTestSupport.h"
#include "health/AlertPayload.h"

namespace ceremony::health {
namespace {

using namespace std::chrono_literals;

PointConfig nghiaHanh() {
  PointConfig p = test::point("nghia-hanh");
  p.name = "Xã Nghĩa Hành";
  p.contactName = "Nguyễn Văn A, cán bộ kỹ thuật";
  p.contactPhone = "0255 3822 123";
  return p;
}

TEST(AlertPayload, PointAlertNamesPointContactPhoneStatesAndTime) {
  HealthEvent e;
  e.at = test::ceremonyStart() + 3min + 12s + 345ms;
  e.pointId = "nghia-hanh";
  e.from = PointStatus::Up;
  e.to = PointStatus::Down;
  e.reason = "connect timeout after 2000 ms";
  const auto j = pointAlert(e, nghiaHanh());
  EXPECT_EQ(j["type"], "point_state");
  EXPECT_EQ(j["time"], "2025-07-28T14:03:12.345+07:00");
  EXPECT_EQ(j["point"]["id"], "nghia-hanh");
  EXPECT_EQ(j["point"]["name"], "Xã Nghĩa Hành");
  EXPECT_EQ(j["point"]["kind"], "xã");
  EXPECT_EQ(j["point"]["contact_name"], "Nguyễn Văn A, cán bộ kỹ thuật");
  EXPECT_EQ(j["point"]["contact_phone"], "0255 3822 123");
  EXPECT_EQ(j["from"], "up");
  EXPECT_EQ(j["to"], "down");
  EXPECT_EQ(j["to_label"], "mất kết nối");
  EXPECT_EQ(j["reason"], "connect timeout after 2000 ms");
  EXPECT_EQ(j["text"],
            "Xã Nghĩa Hành: mất kết nối (trước đó: hoạt động) — connect timeout after 2000 ms. "
            "liên hệ Nguyễn Văn A, cán bộ kỹ thuật 0255 3822 123.");
  // It is valid JSON text with the Vietnamese intact.
  EXPECT_NE(j.dump().find("Nghĩa Hành"), std::string::npos);
}

TEST(AlertPayload, UplinkAlarmListsEveryPointWithItsPhone) {
  HealthEvent e;
  e.kind = EventKind::UplinkRaised;
  e.at = test::ceremonyStart();
  e.reason = "Mất kết nối đường truyền tỉnh / uplink: 2/96 điểm cầu mất kết nối trong 10 s";
  auto a = nghiaHanh();
  auto b = test::point("ly-son");
  b.name = "Đặc khu Lý Sơn";
  b.kind = "đặc khu";
  const auto j = uplinkAlert(e, {&a, &b}, 96);
  EXPECT_EQ(j["type"], "uplink_alarm");
  EXPECT_EQ(j["active"], true);
  EXPECT_EQ(j["count"], 2);
  EXPECT_EQ(j["watched"], 96);
  ASSERT_EQ(j["points"].size(), 2u);
  EXPECT_EQ(j["points"][1]["name"], "Đặc khu Lý Sơn");
  EXPECT_EQ(j["points"][1]["contact_phone"], "0900 000 001");
  EXPECT_NE(j["text"].get<std::string>().find("CẢNH BÁO: Mất kết nối đường truyền tỉnh / uplink"),
            std::string::npos);

  e.kind = EventKind::UplinkCleared;
  EXPECT_EQ(uplinkAlert(e, {&a}, 96)["active"], false);
}

}  // namespace
}  // namespace ceremony::health
