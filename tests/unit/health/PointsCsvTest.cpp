// The point list as a spreadsheet export: the tolerances real files need, and one
// test per kind of bad row (each must name file:line and never drop a point silently).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "health/PointsCsv.h"

namespace ceremony::health {
namespace {

const char* kHeader = "id,name,kind,contact_name,contact_phone,probe_kind,url_or_host\n";

std::vector<PointConfig> parse(const std::string& text, Diagnostics& d) {
  return parsePointsCsv(text, "points.csv", d);
}

const PointConfig* find(const std::vector<PointConfig>& v, const std::string& id) {
  auto it = std::find_if(v.begin(), v.end(), [&](const auto& p) { return p.id == id; });
  return it == v.end() ? nullptr : &*it;
}

// The one error expected, formatted the way --check prints it.
std::string onlyError(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.all())
    if (x.severity != Severity::Warning) out += (out.empty() ? "" : " | ") + x.format();
  EXPECT_EQ(d.errors() + (d.hasFatal() ? 1 : 0), 1u) << out;
  return out;
}

TEST(PointsCsv, ReadsVietnameseNamesQuotedCommasAndProbes) {
  Diagnostics d;
  auto points =
      parse(std::string(kHeader) +
                "nghia-hanh,Xã Nghĩa Hành,xã,\"Nguyễn Văn A, Phó Chủ tịch\",0255 3822 123,"
                "http,http://10.55.0.11/health\n"
                "ly-son,Đặc khu Lý Sơn,Đặc khu,Trần Thị B,+84 912 345 678,heartbeat,\n"
                "cam-thanh,Phường Cẩm Thành,phuong,\"Lê \"\"Ba\"\"\",0912.345.678,tcp,"
                "10.55.0.3:8080\n",
            d);
  EXPECT_EQ(d.all().size(), 0u) << d.all()[0].format();
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].name, "Xã Nghĩa Hành");
  EXPECT_EQ(points[0].contactName, "Nguyễn Văn A, Phó Chủ tịch");
  EXPECT_EQ(points[0].probes.at(0).kind, "http");
  EXPECT_EQ(points[0].probes.at(0).name, "http");
  EXPECT_EQ(points[0].probes.at(0).url, "http://10.55.0.11/health");
  EXPECT_EQ(points[0].origin.line, 2);
  EXPECT_EQ(points[1].kind, "đặc khu");
  EXPECT_EQ(points[1].probes.at(0).kind, "heartbeat");
  EXPECT_EQ(points[2].kind, "phường");
  EXPECT_EQ(points[2].contactName, "Lê \"Ba\"");
  EXPECT_EQ(points[2].probes.at(0).host, "10.55.0.3");
  EXPECT_EQ(points[2].probes.at(0).port, 8080);
}

TEST(PointsCsv, AGroupColumnNamesEachPointsProvince) {
  Diagnostics d;
  auto points = parse(
      "Mã;Tên;Loại;Tỉnh;probe_kind;url_or_host\n"
      "nghia-hanh;Xã Nghĩa Hành;xã;Quảng Ngãi;http;http://10.55.0.12/health\n"
      "nghia-hanh;;;;tcp;10.55.0.12:22\n"
      "ea-kar;Xã Ea Kar;xã;Đắk Lắk;tcp;10.56.0.2:80\n"
      "ly-son;Đặc khu Lý Sơn;đặc khu;;heartbeat;\n",
      d);
  ASSERT_EQ(points.size(), 3u) << d.all().size();
  EXPECT_EQ(find(points, "nghia-hanh")->group, "Quảng Ngãi");
  EXPECT_EQ(find(points, "nghia-hanh")->probes.size(), 2u) << "a continuation row, group empty";
  EXPECT_EQ(find(points, "ea-kar")->group, "Đắk Lắk");
  EXPECT_EQ(find(points, "ly-son")->group, "") << "no group: only the alarm over all points";
}

TEST(PointsCsv, ToleratesBomCrlfBlankAndCommentRowsAndSemicolons) {
  Diagnostics d;
  auto points = parse(
      "\xEF\xBB\xBFid;name;kind;contact_name;contact_phone;probe_kind;url_or_host\r\n"
      "# danh sách điểm cầu\r\n"
      "\r\n"
      ";;;;;;\r\n"
      "thien-tin;Xã Thiện Tín;xã;\"Nhóm công nghệ số; "
      "VNPT\";0912345678;http;http://10.55.0.12/\r\n",
      d);
  EXPECT_EQ(d.all().size(), 0u) << d.all()[0].format();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].id, "thien-tin");
  EXPECT_EQ(points[0].contactName, "Nhóm công nghệ số; VNPT");
  EXPECT_EQ(points[0].origin.line, 5);
}

TEST(PointsCsv, QuotedFieldSpanningLinesKeepsLaterLineNumbersRight) {
  Diagnostics d;
  auto points = parse(std::string(kHeader) +
                          "a,Xã A,xã,\"dòng 1\r\ndòng 2\",0912345678,http,http://10.0.0.1/\n"
                          "b,Xã B,xã,C,123,http,http://10.0.0.2/\n",
                      d);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].contactName, "dòng 1\ndòng 2");
  EXPECT_EQ(onlyError(d).substr(0, 15), "points.csv:4:13");
}

TEST(PointsCsv, RepeatedIdWithEmptyNameAddsAnotherProbe) {
  Diagnostics d;
  auto points = parse(std::string(kHeader) +
                          "a,Xã A,xã,C,0912345678,http,http://10.0.0.1/\n"
                          "a,,,,,tcp,10.0.0.1:22\n"
                          "a,,,,,http,http://10.0.0.1/other\n",
                      d);
  EXPECT_EQ(d.all().size(), 0u) << d.all()[0].format();
  ASSERT_EQ(points.size(), 1u);
  ASSERT_EQ(points[0].probes.size(), 3u);
  EXPECT_EQ(points[0].probes[1].name, "tcp");
  EXPECT_EQ(points[0].probes[2].name, "http-2");
}

TEST(PointsCsv, OptionalColumnsSetTimeoutsStatusAndKeyword) {
  Diagnostics d;
  auto points = parse(
      "id,name,kind,probe_kind,url_or_host,expect_status,body_keyword,timeout_ms,"
      "connect_timeout_ms,heartbeat_timeout_s,verify_tls,contact_phone\n"
      "a,Xã A,xã,https,https://10.0.0.1/,0,sẵn sàng,5000,1500,,false,0912345678\n",
      d);
  EXPECT_EQ(d.errors(), 0u);
  ASSERT_EQ(points.size(), 1u);
  const auto& s = points[0].probes.at(0);
  EXPECT_EQ(s.expectStatus, 0);
  EXPECT_EQ(s.bodyKeyword, "sẵn sàng");
  EXPECT_EQ(s.timeout, Millis(5000));
  EXPECT_EQ(s.connectTimeout, Millis(1500));
  EXPECT_FALSE(s.verifyTls);
}

// --- each kind of bad row --------------------------------------------------------------

struct BadRow {
  const char* what;
  std::string row;
  std::string where;    // "points.csv:3:…" prefix expected
  std::string message;  // words the sentence must contain
};

class PointsCsvBadRow : public ::testing::TestWithParam<BadRow> {};

TEST_P(PointsCsvBadRow, IsAnErrorWithFileLineAndOtherPointsSurvive) {
  const auto& c = GetParam();
  Diagnostics d;
  auto points = parse(std::string(kHeader) + "ok-1,Xã Một,xã,A,0912345678,http,http://10.0.0.1/\n" +
                          c.row + "\nok-2,Xã Hai,xã,B,0912345679,http,http://10.0.0.2/\n",
                      d);
  const std::string e = onlyError(d);
  EXPECT_EQ(e.substr(0, c.where.size()), c.where) << e;
  EXPECT_NE(e.find(c.message), std::string::npos) << e;
  EXPECT_EQ(d.exitCode(), 1) << "--check must fail";
  EXPECT_TRUE(find(points, "ok-1"));
  if (c.message != "unterminated quote") {
    EXPECT_TRUE(find(points, "ok-2"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    EachKind, PointsCsvBadRow,
    ::testing::Values(
        BadRow{"missing id", ",Xã Ba,xã,C,0912345670,http,http://10.0.0.3/", "points.csv:3:1",
               "missing id"},
        BadRow{"bad id", "xã ba,Xã Ba,xã,C,0912345670,http,http://10.0.0.3/", "points.csv:3:1",
               "bad id"},
        BadRow{"duplicate id", "ok-1,Xã Ba,xã,C,0912345670,http,http://10.0.0.3/", "points.csv:3:1",
               "đã có ở points.csv:2"},
        BadRow{"missing name", "ba,,xã,C,0912345670,http,http://10.0.0.3/", "points.csv:3:4",
               "missing name"},
        BadRow{"bad kind", "ba,Xã Ba,huyện,C,0912345670,http,http://10.0.0.3/", "points.csv:3:10",
               "bad kind"},
        BadRow{"bad phone", "ba,Xã Ba,xã,C,09123abc,http,http://10.0.0.3/", "points.csv:3:15",
               "bad phone number"},
        BadRow{"short phone", "ba,Xã Ba,xã,C,0912,http,http://10.0.0.3/", "points.csv:3:15",
               "cần 9–12"},
        BadRow{"unknown probe kind", "ba,Xã Ba,xã,C,0912345670,ping,10.0.0.3", "points.csv:3:26",
               "unknown probe kind"},
        BadRow{"bad url", "ba,Xã Ba,xã,C,0912345670,http,10.0.0.3/health", "points.csv:3:31",
               "bad url"},
        BadRow{"bad tcp target", "ba,Xã Ba,xã,C,0912345670,tcp,10.0.0.3", "points.csv:3:30",
               "host:port"},
        BadRow{"target without kind", "ba,Xã Ba,xã,C,0912345670,,http://10.0.0.3/",
               "points.csv:3:26", "missing probe kind"},
        BadRow{"too many fields", "ba,Xã Ba,xã,C,0912345670,http,http://10.0.0.3/,x,y",
               "points.csv:3:48", "too many fields"},
        BadRow{"not UTF-8", "ba,X\xe3 Ba,x\xe3,C,0912345670,http,http://10.0.0.3/", "points.csv:3",
               "not UTF-8"},
        BadRow{"text after closing quote", "ba,\"Xã\" Ba,xã,C,0912345670,http,http://10.0.0.3/",
               "points.csv:3:8", "text after closing quote"},
        BadRow{"unterminated quote", "ba,\"Xã Ba,xã,C,0912345670,http,http://10.0.0.3/",
               "points.csv:3:4", "unterminated quote"}),
    [](const auto& info) {
      std::string n = info.param.what;
      for (auto& c : n)
        if (c == ' ' || c == '-') c = '_';
      return n;
    });

TEST(PointsCsv, UnterminatedQuoteStopsReadingAndSaysWhere) {
  Diagnostics d;
  auto points =
      parse(std::string(kHeader) + "a,Xã A,xã,\"Nguyễn Văn A,0912345678,http,http://x/\n" +
                "b,Xã B,xã,B,0912345679,http,http://10.0.0.2/\n",
            d);
  EXPECT_EQ(onlyError(d).substr(0, 15), "points.csv:2:11");
  EXPECT_NE(d.all()[0].message.find("unterminated quote"), std::string::npos);
  EXPECT_TRUE(points.empty()) << "everything after the quote belongs to the open field";
}

TEST(PointsCsv, HeaderIsRequired) {
  Diagnostics d;
  auto points = parse("nghia-hanh,Xã Nghĩa Hành,xã,A,0912345678,http,http://10.0.0.1/\n", d);
  EXPECT_TRUE(points.empty());
  EXPECT_NE(onlyError(d).find("missing columns"), std::string::npos);
}

TEST(PointsCsv, EmptyFileIsAnError) {
  Diagnostics d;
  EXPECT_TRUE(parse("\xEF\xBB\xBF\r\n", d).empty());
  EXPECT_NE(onlyError(d).find("missing header"), std::string::npos);
}

TEST(PointsCsv, UnknownColumnAndMissingPhoneAreWarningsOnly) {
  Diagnostics d;
  auto points = parse(
      "id,name,kind,ghi_chu,probe_kind,url_or_host\na,Xã A,xã,xyz,http,http://10.0.0.1/\n", d);
  EXPECT_EQ(points.size(), 1u);
  EXPECT_EQ(d.errors(), 0u);
  EXPECT_EQ(d.warnings(), 2u);
  EXPECT_EQ(d.exitCode(), 0);
}

TEST(PointsCsv, VietnameseHeadingsAreUnderstood) {
  Diagnostics d;
  auto points = parse(
      "Mã,Tên,Loại,Người liên hệ,Số điện thoại,probe_kind,url_or_host\n"
      "a,Xã A,Xã,Ông B,0912345678,tcp,10.0.0.1:80\n",
      d);
  EXPECT_EQ(d.all().size(), 0u) << d.all()[0].format();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].contactName, "Ông B");
  EXPECT_EQ(points[0].kind, "xã");
}

TEST(PointsCsv, QuangNgaiExampleHasAll96Points) {
  Diagnostics d;
  auto points = loadPointsCsv(CEREMONYD_SOURCE_DIR "/config/quang-ngai-points.csv",
                              "quang-ngai-points.csv", d);
  for (const auto& x : d.all()) ADD_FAILURE() << x.format();
  ASSERT_EQ(points.size(), 96u);
  int wards = 0, communes = 0, zones = 0;
  for (const auto& p : points) {
    wards += p.kind == "phường";
    communes += p.kind == "xã";
    zones += p.kind == "đặc khu";
    EXPECT_FALSE(p.contactPhone.empty()) << p.id;
    EXPECT_EQ(p.probes.size(), 1u) << p.id;
  }
  EXPECT_EQ(wards, 9);
  EXPECT_EQ(communes, 86);
  EXPECT_EQ(zones, 1);
  ASSERT_TRUE(find(points, "nghia-hanh"));
  EXPECT_EQ(find(points, "nghia-hanh")->name, "Xã Nghĩa Hành");
  ASSERT_TRUE(find(points, "thien-tin"));
  EXPECT_EQ(find(points, "thien-tin")->name, "Xã Thiện Tín");
  ASSERT_TRUE(find(points, "ly-son"));
  EXPECT_EQ(find(points, "ly-son")->name, "Đặc khu Lý Sơn");
  EXPECT_EQ(find(points, "ly-son")->kind, "đặc khu");
}

// Before: any file named as the points CSV was read into memory whole (/dev/zero never ended).
TEST(PointsCsv, AFileFarLargerThanAnyListOfPointsIsFatalAndNotReadWhole) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("huge-points-" + std::to_string(::getpid()) + ".csv");
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,name,kind\n";
    const std::string row = "p,Xã A,xã\n";
    for (std::size_t written = 0; written <= (32u << 20); written += row.size()) out << row;
  }
  Diagnostics d;
  EXPECT_TRUE(loadPointsCsv(path, "points.csv", d).empty());
  EXPECT_EQ(d.exitCode(), 2);
  ASSERT_FALSE(d.all().empty());
  EXPECT_NE(d.all()[0].message.find("larger than 32 MiB"), std::string::npos);
  std::filesystem::remove(path);
  Diagnostics zero;
  EXPECT_TRUE(loadPointsCsv("/dev/zero", "points.csv", zero).empty());
  EXPECT_EQ(zero.exitCode(), 2);
}

TEST(PointsCsv, MissingFileIsFatal) {
  Diagnostics d;
  EXPECT_TRUE(loadPointsCsv("/nonexistent/points.csv", "points.csv", d).empty());
  EXPECT_EQ(d.exitCode(), 2);
}

}  // namespace
}  // namespace ceremony::health
