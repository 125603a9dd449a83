#pragma once
// The one way the report writes CSV: UTF-8 with a byte-order mark (so Excel reads Vietnamese),
// RFC 4180 quoting and CRLF line ends, and a guard against formula injection for text that
// came from outside (a journal name starting with '=' must not become a formula).

#include <string>
#include <vector>

namespace ceremony::report {

// One cell: text (guarded against formula injection) unless made with number().
struct CsvCell {
  CsvCell(std::string v) : value(std::move(v)) {}  // NOLINT: implicit on purpose
  CsvCell(const char* v) : value(v) {}             // NOLINT
  static CsvCell number(long long n) {
    CsvCell c(std::to_string(n));
    c.text = false;
    return c;
  }
  std::string value;
  bool text = true;
};

class CsvWriter {
 public:
  CsvWriter();  // starts with the byte-order mark EF BB BF
  void row(const std::vector<CsvCell>& cells);
  const std::string& str() const { return out_; }

  // A field as written: a text cell that starts with = + - @ tab or CR gets a leading
  // apostrophe; a field with a comma, quote, CR or LF is quoted with its quotes doubled.
  static std::string field(const CsvCell& cell);

 private:
  std::string out_;
};

}  // namespace ceremony::report
