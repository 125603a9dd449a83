// The results report (Report.h): the figures computed from the journal (ReportWalker.cpp),
// given out as JSON (ReportText.cpp), HTML (ReportHtml.cpp) and CSV (ReportCsv.cpp), and the
// four files written out.
#include "report/Report.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <system_error>

#include "report/ReportModel.h"

namespace ceremony::report {

ReportFiles buildReport(const JournalRecords& journal, WallTime now, bool draft) {
  const detail::Model m = detail::computeModel(journal, now, draft);
  ReportFiles f;
  f.date = m.date;
  f.json = detail::modelJson(m);
  f.html = detail::renderHtml(m);
  f.itemsCsv = detail::itemsCsv(m);
  f.pointsCsv = detail::pointsCsv(m);
  f.outagesCsv = detail::outagesCsv(m);
  return f;
}

namespace {
// Only a real date names the files: the journal is outside input and must not pick a path.
std::string safeDate(const std::string& d) {
  if (d.size() != 10) return "undated";
  for (std::size_t i = 0; i < d.size(); ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? d[i] != '-' : (d[i] < '0' || d[i] > '9')) return "undated";
  }
  return d;
}
}  // namespace

std::vector<std::filesystem::path> writeReport(const ReportFiles& report,
                                               const std::filesystem::path& dir,
                                               std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    if (error) *error = "không tạo được thư mục " + dir.string() + ": " + ec.message();
    return {};
  }
  const std::string base = "report-" + safeDate(report.date);
  const std::pair<std::string, const std::string*> files[] = {
      {base + ".html", &report.html},
      {base + "-items.csv", &report.itemsCsv},
      {base + "-points.csv", &report.pointsCsv},
      {base + "-outages.csv", &report.outagesCsv}};
  std::vector<std::filesystem::path> written;
  for (const auto& [name, text] : files) {
    const auto path = dir / name;
    const auto tmp = dir / ("." + name + ".tmp-" + std::to_string(::getpid()));
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(text->data(), static_cast<std::streamsize>(text->size()));
      out.flush();
      if (!out) {
        if (error) *error = "không ghi được " + tmp.string();
        std::filesystem::remove(tmp, ec);
        return {};
      }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      if (error) *error = "không đổi tên được " + tmp.string() + ": " + ec.message();
      std::filesystem::remove(tmp, ec);
      return {};
    }
    written.push_back(path);
  }
  return written;
}

}  // namespace ceremony::report
