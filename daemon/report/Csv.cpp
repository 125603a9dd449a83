// CSV writing for the report (Csv.h).
#include "report/Csv.h"

namespace ceremony::report {

CsvWriter::CsvWriter() : out_("\xEF\xBB\xBF") {}

std::string CsvWriter::field(const CsvCell& cell) {
  std::string v = cell.value;
  if (cell.text && !v.empty()) {
    const char c = v.front();
    if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') v.insert(0, "'");
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

void CsvWriter::row(const std::vector<CsvCell>& cells) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) out_ += ',';
    out_ += field(cells[i]);
  }
  out_ += "\r\n";
}

}  // namespace ceremony::report
