#pragma once
// The results report, built from the journal alone (daemon/report/README.md): what ran and
// when, who was connected, what went wrong. Pure: it reads records and writes text.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/WallTime.h"
#include "report/Journal.h"

namespace ceremony::report {

// The report in every form it is given out.
struct ReportFiles {
  std::string date;        // the event's date, YYYY-MM-DD (from the last start record), for names
  nlohmann::json json;     // the figures (GET /api/report?format=json; the tests read this)
  std::string html;        // report-<date>.html: prints on A4, inline SVG charts
  std::string itemsCsv;    // report-<date>-items.csv (UTF-8 with BOM, RFC 4180)
  std::string pointsCsv;   // report-<date>-points.csv
  std::string outagesCsv;  // report-<date>-outages.csv
};

// `now` closes what is still open (a live draft while the ceremony runs: `draft` true).
ReportFiles buildReport(const JournalRecords& journal, WallTime now, bool draft);

// Writes the four files into `dir` (made if missing), each atomically (a temporary file
// renamed over the old one). Returns the paths written; on failure, empty and `error` says
// why.
std::vector<std::filesystem::path> writeReport(const ReportFiles& report,
                                               const std::filesystem::path& dir,
                                               std::string* error);

}  // namespace ceremony::report
