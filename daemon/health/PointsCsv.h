#pragma once
// The point list as provincial staff keep it: a spreadsheet saved as CSV.
//
// RFC 4180 with the tolerances real exports need: UTF-8 BOM, CRLF or bare CR line
// ends, ';' as separator (Vietnamese-locale Excel) when the header has no ','.
// The header row is required and names the columns (any order):
//   id,name,kind,contact_name,contact_phone,probe_kind,url_or_host
// optional: probe_name, expect_status, body_keyword, connect_timeout_ms, timeout_ms,
//   heartbeat_timeout_s, token_file, verify_tls.
// A row that repeats the previous row's id with name, kind and contact empty adds
// another probe to that point. Blank rows and rows starting with '#' are skipped.
// Every bad row is an error with file:line — a point is never silently dropped.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/Diagnostics.h"
#include "health/HealthConfig.h"

namespace ceremony::health {

struct CsvField {
  std::string text;
  int line = 0;    // 1-based line where the field starts
  int column = 0;  // 1-based, in characters
};

struct CsvRow {
  int line = 0;  // where the row starts
  std::vector<CsvField> fields;
};

// Splits CSV text into rows. An unterminated quote is an error; the rows before it
// are returned and reading stops there (everything after belongs to the open field).
std::vector<CsvRow> readCsvRows(std::string_view text, const std::string& file,
                                Diagnostics& diagnostics);

// Reads points out of CSV text. `file` is the name used in messages.
std::vector<PointConfig> parsePointsCsv(std::string_view text, const std::string& file,
                                        Diagnostics& diagnostics);

// Reads the file; an unreadable file is a fatal diagnostic.
std::vector<PointConfig> loadPointsCsv(const std::filesystem::path& path,
                                       const std::string& displayName, Diagnostics& diagnostics);

}  // namespace ceremony::health
