// The report's three spreadsheets (items, with each item's silences; points; outages), all
// through CsvWriter.
#include "report/Csv.h"
#include "report/ReportModel.h"

namespace ceremony::report::detail {
namespace {

std::string yesNo(bool b) {
  return b ? "Có" : "Không";
}
CsvCell timeCell(const Model& m, const std::optional<WallTime>& t) {
  return t ? CsvCell(csvTime(m, *t)) : CsvCell("");
}
CsvCell secondsCell(Millis ms) {
  return CsvCell::number(seconds(ms));
}

}  // namespace

std::string itemsCsv(const Model& m) {
  CsvWriter w;
  w.row({"STT", "Mã mục", "Nội dung", "Bắt đầu dự kiến", "Bắt đầu thực tế", "Kết thúc dự kiến",
         "Kết thúc thực tế", "Chậm so với dự kiến (giây)", "Bỏ qua", "Thao tác",
         // Appended: the columns before keep their places.
         "Số lần im lặng", "Im lặng (giây)"});
  for (const auto& f : m.items) {
    std::string actions;
    for (const auto& a : f.actions) {
      if (!actions.empty()) actions += "; ";
      actions += clock(m, a.at) + " " + actionText(m, a) +
                 (a.who.empty() ? "" : " (" + whoText(a.who) + ")");
    }
    CsvCell number = f.number.is_number_integer() ? CsvCell::number(f.number.get<long long>())
                     : f.number.is_string()       ? CsvCell(f.number.get<std::string>())
                     : f.number.is_number()       ? CsvCell(f.number.dump())
                                                  : CsvCell("");
    auto slip = f.slipMs();
    w.row({number, f.id, f.title, timeCell(m, f.plannedStart), timeCell(m, f.actualStart),
           timeCell(m, f.plannedEnd), timeCell(m, f.actualEnd),
           slip ? secondsCell(Millis(*slip)) : CsvCell(""), yesNo(f.skipped), actions,
           CsvCell::number(f.silences), secondsCell(f.silent)});
  }
  return w.str();
}

std::string pointsCsv(const Model& m) {
  CsvWriter w;
  w.row({"Mã điểm", "Tên điểm cầu", "Loại", "Người liên hệ", "Điện thoại", "Kết nối lần đầu",
         "Thời gian tốt (giây)", "Thời gian kém (giây)", "Thời gian mất kết nối (giây)",
         "Số lần mất kết nối", "Xem qua cầu truyền hình", "Gửi hình về"});
  for (const auto& p : m.points)
    w.row({p.id, p.name, p.kind, p.contactName, p.contactPhone, timeCell(m, p.firstConnected),
           secondsCell(p.up), secondsCell(p.degraded), secondsCell(p.down),
           CsvCell::number(p.outages), yesNo(p.watchedBridge), yesNo(p.returnFeed)});
  return w.str();
}

std::string outagesCsv(const Model& m) {
  CsvWriter w;
  w.row({"Mã điểm", "Tên điểm cầu", "Từ", "Đến", "Thời lượng (giây)", "Lý do"});
  for (const auto& o : m.outages)
    w.row({o.point, o.name, csvTime(m, o.from), timeCell(m, o.to), secondsCell(o.ms), o.reason});
  return w.str();
}

}  // namespace ceremony::report::detail
