#include "health/PointsCsv.h"

#include <charconv>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>

#include "health/PointFields.h"
#include "health/ProbeSpecRules.h"

namespace ceremony::health {

namespace {

bool isContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// ';' when the header uses it and has no ',' (Vietnamese-locale Excel writes that).
char detectDelimiter(std::string_view text) {
  int commas = 0, semicolons = 0, tabs = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n' || c == '\r') break;
    commas += c == ',';
    semicolons += c == ';';
    tabs += c == '\t';
  }
  if (commas == 0 && semicolons > 0) return ';';
  if (commas == 0 && tabs > 0) return '\t';
  return ',';
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string headerKey(std::string_view s) {
  std::string k = trim(s);
  for (auto& c : k) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == ' ' || c == '-') c = '_';
  }
  return k;
}

enum class Column {
  Id,
  Name,
  Kind,
  ContactName,
  ContactPhone,
  Group,
  ProbeKind,
  Target,
  ProbeName,
  ExpectStatus,
  BodyKeyword,
  ConnectTimeoutMs,
  TimeoutMs,
  HeartbeatTimeoutS,
  TokenFile,
  VerifyTls,
};

// Column names, with the Vietnamese headings staff are likely to type.
const std::map<std::string, Column>& columnNames() {
  static const std::map<std::string, Column> names{
      {"id", Column::Id},
      {"mã", Column::Id},
      {"ma", Column::Id},
      {"name", Column::Name},
      {"tên", Column::Name},
      {"ten", Column::Name},
      {"kind", Column::Kind},
      {"loại", Column::Kind},
      {"loai", Column::Kind},
      {"contact_name", Column::ContactName},
      {"contact", Column::ContactName},
      {"người_liên_hệ", Column::ContactName},
      {"contact_phone", Column::ContactPhone},
      {"phone", Column::ContactPhone},
      {"điện_thoại", Column::ContactPhone},
      {"số_điện_thoại", Column::ContactPhone},
      {"group", Column::Group},
      {"nhóm", Column::Group},
      {"nhom", Column::Group},
      {"tỉnh", Column::Group},
      {"tinh", Column::Group},
      {"province", Column::Group},
      {"probe_kind", Column::ProbeKind},
      {"url_or_host", Column::Target},
      {"probe_name", Column::ProbeName},
      {"expect_status", Column::ExpectStatus},
      {"body_keyword", Column::BodyKeyword},
      {"connect_timeout_ms", Column::ConnectTimeoutMs},
      {"timeout_ms", Column::TimeoutMs},
      {"heartbeat_timeout_s", Column::HeartbeatTimeoutS},
      {"token_file", Column::TokenFile},
      {"verify_tls", Column::VerifyTls},
  };
  return names;
}

std::optional<long> parseNumber(std::string_view s) {
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

class RowReader {
 public:
  RowReader(const CsvRow& row, const std::map<Column, std::size_t>& columns, std::string file,
            Diagnostics& d)
      : row_(row), columns_(columns), file_(std::move(file)), d_(d) {}

  bool has(Column c) const { return columns_.count(c) > 0; }
  std::string get(Column c) const {
    const CsvField* f = field(c);
    return f ? trim(f->text) : std::string();
  }
  void error(Column c, const std::string& message) {
    const CsvField* f = field(c);
    d_.error(file_, f ? f->line : row_.line, f ? f->column : 0, message);
    bad_ = true;
  }
  void warning(Column c, const std::string& message) {
    const CsvField* f = field(c);
    d_.warning(file_, f ? f->line : row_.line, f ? f->column : 0, message);
  }
  bool bad() const { return bad_; }

 private:
  const CsvField* field(Column c) const {
    auto it = columns_.find(c);
    if (it == columns_.end() || it->second >= row_.fields.size()) return nullptr;
    return &row_.fields[it->second];
  }
  const CsvRow& row_;
  const std::map<Column, std::size_t>& columns_;
  std::string file_;
  Diagnostics& d_;
  bool bad_ = false;
};

std::optional<ProbeSpec> readProbe(RowReader& r, const Origin& origin) {
  std::string kind = r.get(Column::ProbeKind);
  for (auto& c : kind)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  std::string target = r.get(Column::Target);
  if (kind.empty()) {
    if (!target.empty())
      r.error(Column::ProbeKind,
              "có url_or_host \"" + target + "\" nhưng thiếu probe_kind (missing probe kind)");
    return std::nullopt;
  }
  if (!probeKindExists(kind)) {
    r.error(Column::ProbeKind,
            "loại phép thử \"" + kind +
                "\" không có (unknown probe kind); dùng một trong: " + probeKindList());
    return std::nullopt;
  }
  ProbeSpec spec;
  spec.kind = kind;
  spec.origin = origin;
  spec.name = r.get(Column::ProbeName);
  if (auto e = readProbeTarget(target, spec); !e.empty()) r.error(Column::Target, e);

  auto number = [&](Column c, const char* what) -> std::optional<long> {
    std::string text = r.get(c);
    if (text.empty()) return std::nullopt;
    auto v = parseNumber(text);
    if (!v || *v < 0 || *v > 86'400'000) {
      r.error(c, std::string(what) + " \"" + text + "\" không phải số hợp lệ (not a number)");
      return std::nullopt;
    }
    return v;
  };
  if (auto v = number(Column::ExpectStatus, "expect_status")) spec.expectStatus = int(*v);
  if (auto v = number(Column::ConnectTimeoutMs, "connect_timeout_ms"))
    spec.connectTimeout = Millis(*v);
  if (auto v = number(Column::TimeoutMs, "timeout_ms")) spec.timeout = Millis(*v);
  if (auto v = number(Column::HeartbeatTimeoutS, "heartbeat_timeout_s"))
    spec.heartbeatTimeout = Millis(*v * 1000);
  spec.bodyKeyword = r.get(Column::BodyKeyword);
  if (auto t = r.get(Column::TokenFile); !t.empty()) spec.tokenFile = t;
  if (auto v = r.get(Column::VerifyTls); !v.empty()) {
    if (v == "true" || v == "1" || v == "yes" || v == "có")
      spec.verifyTls = true;
    else if (v == "false" || v == "0" || v == "no" || v == "không")
      spec.verifyTls = false;
    else
      r.error(Column::VerifyTls, "verify_tls \"" + v + "\" phải là true hoặc false");
  }
  if (r.bad()) return std::nullopt;
  if (auto e = checkProbeSpec(spec); !e.empty()) {
    r.error(Column::Target, e);
    return std::nullopt;
  }
  return spec;
}

}  // namespace

std::vector<CsvRow> readCsvRows(std::string_view text, const std::string& file,
                                Diagnostics& diagnostics) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  const char delim = detectDelimiter(text);
  std::vector<CsvRow> rows;
  std::size_t pos = 0;
  int line = 1, col = 1;
  auto advance = [&](char c) {
    if (!isContinuationByte(c)) ++col;
    ++pos;
  };
  // Consumes one line end (\r\n, \n or \r) at pos, if there is one.
  auto lineEnd = [&]() -> bool {
    if (pos >= text.size()) return false;
    if (text[pos] == '\r') {
      ++pos;
      if (pos < text.size() && text[pos] == '\n') ++pos;
    } else if (text[pos] == '\n') {
      ++pos;
    } else {
      return false;
    }
    ++line;
    col = 1;
    return true;
  };

  while (pos < text.size()) {
    CsvRow row;
    row.line = line;
    bool strayQuoteReported = false;
    for (;;) {
      CsvField field;
      field.line = line;
      field.column = col;
      if (pos < text.size() && text[pos] == '"') {
        const int openLine = line, openCol = col;
        advance('"');
        for (;;) {
          if (pos >= text.size()) {
            diagnostics.error(file, openLine, openCol,
                              "dấu ngoặc kép mở ở đây không được đóng; phần còn lại của tệp "
                              "không đọc được (unterminated quote)");
            return rows;
          }
          char c = text[pos];
          if (c == '"') {
            if (pos + 1 < text.size() && text[pos + 1] == '"') {
              field.text += '"';
              advance('"');
              advance('"');
              continue;
            }
            advance('"');
            break;
          }
          if (c == '\r' || c == '\n') {
            lineEnd();
            field.text += '\n';
            continue;
          }
          field.text += c;
          advance(c);
        }
        // Text between the closing quote and the separator: keep it, but say so.
        while (pos < text.size() && text[pos] != delim && text[pos] != '\r' && text[pos] != '\n') {
          if (!strayQuoteReported) {
            diagnostics.error(file, line, col,
                              "có ký tự sau dấu ngoặc kép đóng; nếu ô có dấu \" thì viết \"\" "
                              "(text after closing quote)");
            strayQuoteReported = true;
          }
          field.text += text[pos];
          advance(text[pos]);
        }
      } else {
        while (pos < text.size() && text[pos] != delim && text[pos] != '\r' && text[pos] != '\n') {
          field.text += text[pos];
          advance(text[pos]);
        }
      }
      row.fields.push_back(std::move(field));
      if (pos < text.size() && text[pos] == delim) {
        advance(delim);
        continue;
      }
      lineEnd();
      break;
    }
    bool blank = true;
    for (const auto& f : row.fields)
      if (!trim(f.text).empty()) blank = false;
    bool comment =
        !row.fields.empty() && !row.fields[0].text.empty() && row.fields[0].text[0] == '#';
    if (!blank && !comment) rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<PointConfig> parsePointsCsv(std::string_view text, const std::string& file,
                                        Diagnostics& diagnostics) {
  std::vector<PointConfig> points;
  auto rows = readCsvRows(text, file, diagnostics);
  if (rows.empty()) {
    diagnostics.error(file, 1, 0,
                      "tệp không có hàng tiêu đề; cần ít nhất: id,name,kind (missing header)");
    return points;
  }

  const CsvRow& header = rows.front();
  std::map<Column, std::size_t> columns;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const auto& f = header.fields[i];
    std::string key = headerKey(f.text);
    if (key.empty()) continue;
    auto it = columnNames().find(key);
    if (it == columnNames().end()) {
      diagnostics.warning(file, f.line, f.column,
                          "cột \"" + trim(f.text) + "\" không dùng đến (unknown column)");
      continue;
    }
    if (!columns.emplace(it->second, i).second)
      diagnostics.error(file, f.line, f.column,
                        "cột \"" + trim(f.text) + "\" xuất hiện hai lần (duplicate column)");
  }
  std::string missing;
  for (auto [c, name] : {std::pair{Column::Id, "id"}, std::pair{Column::Name, "name"},
                         std::pair{Column::Kind, "kind"}}) {
    if (!columns.count(c)) missing += missing.empty() ? name : std::string(", ") + name;
  }
  if (!missing.empty()) {
    diagnostics.error(file, header.line, 0,
                      "hàng tiêu đề thiếu cột: " + missing +
                          " (missing columns; the first row must be the header)");
    return points;
  }
  if (!columns.count(Column::ProbeKind))
    diagnostics.warning(file, header.line, 0,
                        "không có cột probe_kind: các điểm cầu sẽ không được thăm dò và luôn "
                        "ở trạng thái chưa rõ (no probe_kind column)");

  bool lastWasPoint = false;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    RowReader reader(row, columns, file, diagnostics);
    Origin origin{file, row.line, 1};

    bool utf8 = true;
    for (const auto& f : row.fields) utf8 = utf8 && isUtf8(f.text);
    if (!utf8) {
      diagnostics.error(file, row.line, 0,
                        "hàng không phải UTF-8; hãy lưu bảng tính dạng \"CSV UTF-8\" (not UTF-8)");
      lastWasPoint = false;
      continue;
    }
    if (row.fields.size() > header.fields.size()) {
      bool extraFilled = false;
      for (std::size_t i = header.fields.size(); i < row.fields.size(); ++i)
        extraFilled = extraFilled || !trim(row.fields[i].text).empty();
      if (extraFilled) {
        const auto& f = row.fields[header.fields.size()];
        diagnostics.error(file, f.line, f.column,
                          "hàng có " + std::to_string(row.fields.size()) +
                              " cột nhưng tiêu đề có " + std::to_string(header.fields.size()) +
                              "; ô có dấu phẩy phải đặt trong ngoặc kép (too many fields)");
        lastWasPoint = false;
        continue;
      }
    }

    std::string id = reader.get(Column::Id);
    bool continuation =
        lastWasPoint && !id.empty() && points.back().id == id && reader.get(Column::Name).empty() &&
        reader.get(Column::Kind).empty() && reader.get(Column::ContactName).empty() &&
        reader.get(Column::ContactPhone).empty() && reader.get(Column::Group).empty();
    if (continuation) {
      if (auto probe = readProbe(reader, origin)) {
        points.back().probes.push_back(std::move(*probe));
      } else if (!reader.bad()) {
        reader.error(Column::ProbeKind,
                     "hàng lặp lại mã \"" + id + "\" để thêm phép thử nhưng thiếu probe_kind");
      }
      continue;
    }

    PointConfig point;
    point.origin = origin;
    point.id = id;
    if (auto e = checkPointId(id); !e.empty()) reader.error(Column::Id, e);
    point.name = reader.get(Column::Name);
    if (point.name.empty()) reader.error(Column::Name, "thiếu tên điểm cầu (missing name)");
    std::string kindText = reader.get(Column::Kind);
    if (auto kind = canonicalPointKind(kindText)) {
      point.kind = *kind;
    } else {
      reader.error(Column::Kind, "loại điểm cầu \"" + kindText +
                                     "\" không hợp lệ; dùng xã, phường hoặc đặc khu (bad kind)");
    }
    point.contactName = reader.get(Column::ContactName);
    point.contactPhone = reader.get(Column::ContactPhone);
    point.group = reader.get(Column::Group);
    if (auto e = checkPhone(point.contactPhone); !e.empty()) reader.error(Column::ContactPhone, e);
    if (point.contactPhone.empty() && !reader.bad())
      reader.warning(Column::ContactPhone,
                     "điểm cầu \"" + point.name + "\" chưa có số điện thoại liên hệ (no phone)");
    if (auto probe = readProbe(reader, origin)) point.probes.push_back(std::move(*probe));

    if (reader.bad()) {
      lastWasPoint = false;
      continue;
    }
    points.push_back(std::move(point));
    lastWasPoint = true;
  }

  for (auto& p : points) {
    if (auto e = nameProbes(p.probes); !e.empty())
      diagnostics.error(file, p.origin.line, 0, "điểm cầu \"" + p.id + "\": " + e);
  }
  checkUniqueIds(points, diagnostics);
  return points;
}

constexpr std::size_t kMaxPointsCsvBytes = 32u << 20;

std::vector<PointConfig> loadPointsCsv(const std::filesystem::path& path,
                                       const std::string& displayName, Diagnostics& diagnostics) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.fatal(displayName, 0, 0,
                      "không mở được tệp danh sách điểm cầu (cannot open the points CSV)");
    return {};
  }
  // 10,000 points with every column filled is about 2 MB; a file far larger is not a list
  // of points (a wrong path, a log, a device) and is not read into memory whole.
  std::string text(kMaxPointsCsvBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxPointsCsvBytes) {
    diagnostics.fatal(
        displayName, 0, 0,
        "tệp danh sách điểm cầu lớn hơn 32 MiB (the points CSV is larger than 32 MiB; "
        "is it the right file?)");
    return {};
  }
  return parsePointsCsv(text, displayName, diagnostics);
}

}  // namespace ceremony::health
