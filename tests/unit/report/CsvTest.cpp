// The CSV writer: BOM, RFC 4180 quoting, CRLF, the formula guard; and the report's CSVs read
// back with a small RFC 4180 reader, Vietnamese intact.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ReportTestSupport.h"
#include "report/Csv.h"
#include "report/Report.h"

namespace ceremony::report {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// RFC 4180, strictly: a quoted field may hold commas, CR, LF and doubled quotes; a record ends
// with CRLF. Fails the test on anything else.
Rows readCsv(const std::string& text) {
  Rows rows;
  const std::string bom = "\xEF\xBB\xBF";
  EXPECT_EQ(text.substr(0, 3), bom) << "no byte-order mark";
  std::size_t i = 3;
  std::vector<std::string> row;
  std::string f;
  while (i < text.size()) {
    if (text[i] == '"') {
      ++i;
      for (;;) {
        if (i >= text.size()) {
          ADD_FAILURE() << "unterminated quote";
          return rows;
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            f += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        f += text[i++];
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
        EXPECT_NE(text[i], '"') << "a quote in an unquoted field";
        f += text[i++];
      }
    }
    if (i < text.size() && text[i] == ',') {
      row.push_back(std::move(f));
      f.clear();
      ++i;
    } else if (i + 1 < text.size() && text[i] == '\r' && text[i + 1] == '\n') {
      row.push_back(std::move(f));
      f.clear();
      rows.push_back(std::move(row));
      row.clear();
      i += 2;
    } else {
      ADD_FAILURE() << "bad character after a field at " << i;
      return rows;
    }
  }
  EXPECT_TRUE(row.empty() && f.empty()) << "the last record has no CRLF";
  return rows;
}

TEST(CsvWriter, BomQuotingAndCrlf) {
  CsvWriter w;
  w.row({"plain", "a,b", "say \"hi\"", "two\nlines", "cr\rhere", "Xã Nghĩa Hành"});
  EXPECT_EQ(w.str(),
            "\xEF\xBB\xBFplain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\",Xã Nghĩa "
            "Hành\r\n");
  w.row({""});
  EXPECT_EQ(w.str().substr(w.str().size() - 2), "\r\n");
}

TEST(CsvWriter, GuardsTextAgainstFormulasButNotNumbers) {
  EXPECT_EQ(CsvWriter::field(CsvCell("=1+1")), "'=1+1");
  EXPECT_EQ(CsvWriter::field(CsvCell("+84 905")), "'+84 905");
  EXPECT_EQ(CsvWriter::field(CsvCell("-2")), "'-2");
  EXPECT_EQ(CsvWriter::field(CsvCell("@SUM(A1)")), "'@SUM(A1)");
  EXPECT_EQ(CsvWriter::field(CsvCell("\tx")), "'\tx");
  EXPECT_EQ(CsvWriter::field(CsvCell("\rx")), "\"'\rx\"");
  EXPECT_EQ(CsvWriter::field(CsvCell("=HYPERLINK(\"a\",\"b\")")),
            "\"'=HYPERLINK(\"\"a\"\",\"\"b\"\")\"");
  EXPECT_EQ(CsvWriter::field(CsvCell("a=b")), "a=b");
  EXPECT_EQ(CsvWriter::field(CsvCell::number(-120)), "-120");
  EXPECT_EQ(CsvWriter::field(CsvCell::number(42)), "42");
}

TEST(CsvWriter, ReadsBackWhatItWrote) {
  const std::vector<std::string> nasty = {"",       "a,b", "\"", "\"\"",
                                          "x\r\ny", ",",   "\n", "Tơ \"Ba\""};
  CsvWriter w;
  std::vector<CsvCell> cells(nasty.begin(), nasty.end());
  w.row(cells);
  w.row(cells);
  Rows rows = readCsv(w.str());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], nasty);
  EXPECT_EQ(rows[1], nasty);
}

TEST(ReportCsv, PointsAndOutagesParseBackWithVietnameseAndGuards) {
  test::JournalBuilder b;
  b.start(0, false, "qn",
          nlohmann::json::array({{{"id", "nghia-hanh"},
                                  {"name", "Xã Nghĩa Hành, \"trung tâm\"\nhuyện"},
                                  {"kind", "xã"},
                                  {"contact_name", "=HYPERLINK(\"http://x\")"},
                                  {"contact_phone", "+84 905 111 222"}},
                                 {{"id", "ba-to"}, {"name", "Xã Ba Tơ"}, {"kind", "xã"}}}));
  b.point(10, "nghia-hanh", "unknown", "up", "", false);
  b.point(100, "nghia-hanh", "up", "down", "@mất điện, máy phát hỏng");
  b.point(130, "nghia-hanh", "down", "up");
  b.add(200, "bridge",
        {{"what", "joined"}, {"transport", "webrtc"}, {"point", "nghia-hanh"}, {"session", "s1"}});
  b.add(300, "stop", nlohmann::json::object());
  auto r = buildReport(b.journal, test::at(1000), false);

  Rows points = readCsv(r.pointsCsv);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0],
            (std::vector<std::string>{
                "Mã điểm", "Tên điểm cầu", "Loại", "Người liên hệ", "Điện thoại", "Kết nối lần đầu",
                "Thời gian tốt (giây)", "Thời gian kém (giây)", "Thời gian mất kết nối (giây)",
                "Số lần mất kết nối", "Xem qua cầu truyền hình", "Gửi hình về"}));
  EXPECT_EQ(points[1], (std::vector<std::string>{
                           "nghia-hanh", "Xã Nghĩa Hành, \"trung tâm\"\nhuyện", "xã",
                           "'=HYPERLINK(\"http://x\")", "'+84 905 111 222", "2025-07-28 14:00:10",
                           "260", "0", "30", "1", "Có", "Không"}));
  EXPECT_EQ(points[2][0], "ba-to");
  EXPECT_EQ(points[2][10], "Không");

  Rows outages = readCsv(r.outagesCsv);
  ASSERT_EQ(outages.size(), 2u);
  EXPECT_EQ(outages[0], (std::vector<std::string>{"Mã điểm", "Tên điểm cầu", "Từ", "Đến",
                                                  "Thời lượng (giây)", "Lý do"}));
  EXPECT_EQ(outages[1][2], "2025-07-28 14:01:40");
  EXPECT_EQ(outages[1][3], "2025-07-28 14:02:10");
  EXPECT_EQ(outages[1][4], "30");
  EXPECT_EQ(outages[1][5], "'@mất điện, máy phát hỏng");

  Rows items = readCsv(r.itemsCsv);
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0][0], "STT");
  EXPECT_EQ(items[0][7], "Chậm so với dự kiến (giây)");
  EXPECT_EQ(items[4][2], "Nghi thức phát động");
  EXPECT_EQ(items[4][8], "Không");
}

}  // namespace
}  // namespace ceremony::report
