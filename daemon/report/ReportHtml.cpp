// The report as one self-contained HTML page: official wording, an A4 print stylesheet, and
// two inline SVG charts (the run-of-show against the plan, points connected over time). Every
// text from the journal is escaped: point names and reasons come from outside.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "report/ReportModel.h"

namespace ceremony::report::detail {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  o.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

// At most `n` code points, never cutting a UTF-8 sequence.
std::string shorten(const std::string& s, std::size_t n) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (count++ == n) return s.substr(0, i) + "…";
  }
  return s;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

std::string opt(const Model& m, const std::optional<WallTime>& t) {
  return t ? clock(m, *t) : "—";
}

std::string numberText(const nlohmann::json& n) {
  if (n.is_string()) return n.get<std::string>();
  if (n.is_number()) return n.dump();
  return "";
}

std::string slipText(const std::optional<long long>& slip) {
  if (!slip) return "—";
  if (*slip >= -999 && *slip <= 999) return "đúng giờ";
  return *slip > 0 ? "chậm " + duration(Millis(*slip)) : "sớm " + duration(Millis(-*slip));
}

const char* kStyle = R"(
body{font-family:"Times New Roman","Liberation Serif","DejaVu Serif",serif;font-size:13pt;color:#000;margin:24px auto;max-width:1000px;line-height:1.35}
h1{text-align:center;font-size:16pt;margin:8px 0 2px}
.sub{text-align:center;font-weight:bold;font-size:14pt;margin:0 0 4px}
.meta{text-align:center;font-style:italic;margin:0 0 12px}
h2{font-size:13.5pt;margin:18px 0 6px;text-transform:uppercase}
table{border-collapse:collapse;width:100%;margin:4px 0 10px;font-size:11pt}
th,td{border:1px solid #444;padding:3px 5px;vertical-align:top;text-align:left}
th{background:#e8e8e8}
td.n{text-align:right;white-space:nowrap}
td.t{white-space:nowrap}
tr.bad td{background:#fdecec}
tr.skip td{color:#777}
.draft{border:3px solid #b00;color:#b00;font-weight:bold;text-align:center;padding:6px;font-size:15pt;margin:8px 0}
.warn{border:1px solid #c80;background:#fff6e0;padding:6px 10px;font-size:11pt}
.info td:first-child{width:32%;font-weight:bold}
svg{display:block;margin:6px 0 10px;width:100%;height:auto}
table.pts td{font-size:10pt}table.pts span.t{white-space:nowrap}
.foot{margin-top:24px;font-size:10pt;color:#444}
@page{size:A4;margin:15mm 12mm 15mm 15mm}
@media print{body{margin:0;max-width:none;font-size:11.5pt}table{font-size:9.5pt}
thead{display:table-header-group}table.pts td{font-size:8pt}tr,svg,.keep{break-inside:avoid;page-break-inside:avoid}
h2{break-after:avoid;page-break-after:avoid}tr.bad td,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
)";

struct Axis {
  WallTime t0, t1;
  double x0, x1;
  double x(WallTime t) const {
    const double span = static_cast<double>((t1 - t0).count());
    if (span <= 0) return x0;
    double f = static_cast<double>((t - t0).count()) / span;
    return x0 + std::clamp(f, 0.0, 1.0) * (x1 - x0);
  }
};

// Ticks every 1, 2, 5, 10, 15, 30, 60 or 120 minutes: at most about 10 on the axis.
std::string ticks(const Model& m, const Axis& a, double top, double bottom) {
  static const long long kSteps[] = {1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440};
  const long long spanMin = std::max<long long>(1, (a.t1 - a.t0).count() / 60000);
  long long step = spanMin / 10 + 1;  // days and more (a clock gone wrong): still 10 ticks
  for (long long s : kSteps)
    if (spanMin / s <= 10) {
      step = s;
      break;
    }
  const long long stepMs = step * 60000;
  const long long off = static_cast<long long>(m.offset) * 60000;
  long long first = (a.t0.time_since_epoch().count() + off) / stepMs * stepMs - off;
  std::string o;
  for (long long t = first; t <= a.t1.time_since_epoch().count(); t += stepMs) {
    const WallTime wt{Millis(t)};
    if (wt < a.t0) continue;
    const std::string x = num(a.x(wt));
    o += "<line x1='" + x + "' y1='" + num(top) + "' x2='" + x + "' y2='" + num(bottom) +
         "' stroke='#ccc' stroke-width='0.5'/>";
    o += "<text x='" + x + "' y='" + num(bottom + 12) + "' font-size='9' text-anchor='middle'>" +
         clock(m, wt).substr(0, 5) + "</text>";
  }
  return o;
}

std::string itemsChart(const Model& m) {
  std::optional<WallTime> lo, hi;
  auto take = [&](const std::optional<WallTime>& t) {
    if (!t) return;
    if (!lo || *t < *lo) lo = t;
    if (!hi || *t > *hi) hi = t;
  };
  for (const auto& f : m.items) {
    take(f.plannedStart);
    take(f.plannedEnd);
    take(f.actualStart);
    take(f.actualEnd);
  }
  if (!lo || !hi || m.items.empty()) return "";
  if (m.end > *hi && m.end - *hi < Millis(6 * 3600 * 1000)) {
    for (const auto& f : m.items)
      if (f.actualStart && !f.actualEnd) hi = m.end;
  }
  if (*hi <= *lo) hi = *lo + Millis(60000);
  const double rowH = 22, top = 24, left = 190, right = 740;
  const double height = top + rowH * static_cast<double>(m.items.size()) + 26;
  Axis a{*lo, *hi, left, right};
  std::string o = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 760 " + num(height) +
                  "' font-family='sans-serif' role='img' "
                  "aria-label='Biểu đồ chương trình: dự kiến và thực tế'>";
  o += "<rect x='" + num(left) + "' y='6' width='14' height='8' fill='#bbb'/><text x='" +
       num(left + 18) + "' y='14' font-size='10'>Dự kiến</text>";
  o += "<rect x='" + num(left + 80) + "' y='6' width='14' height='8' fill='#1f5fa8'/><text x='" +
       num(left + 98) + "' y='14' font-size='10'>Thực tế</text>";
  o += ticks(m, a, top - 4, height - 22);
  double y = top;
  for (const auto& f : m.items) {
    const std::string label = numberText(f.number) + ". " + shorten(f.title, 30);
    o += "<text x='4' y='" + num(y + 14) + "' font-size='10'>" + esc(label) + "</text>";
    if (f.plannedStart) {
      const WallTime end = f.plannedEnd.value_or(*f.plannedStart);
      const double x0 = a.x(*f.plannedStart), x1 = std::max(a.x(end), x0 + 1.5);
      o += "<rect x='" + num(x0) + "' y='" + num(y + 2) + "' width='" + num(x1 - x0) +
           "' height='7' fill='#bbb'/>";
    }
    if (f.actualStart) {
      const WallTime end = f.actualEnd.value_or(m.end);
      const double x0 = a.x(*f.actualStart), x1 = std::max(a.x(end), x0 + 1.5);
      o += "<rect x='" + num(x0) + "' y='" + num(y + 10) + "' width='" + num(x1 - x0) +
           "' height='9' fill='#1f5fa8'/>";
    } else if (f.skipped) {
      o += "<text x='" + num(left + 2) + "' y='" + num(y + 18) +
           "' font-size='9' fill='#b00'>bỏ qua</text>";
    }
    y += rowH;
  }
  o += "</svg>";
  return o;
}

std::string pointsChart(const Model& m) {
  if (m.connected.empty()) return "";
  WallTime t0 = m.connected.front().at, t1 = std::max(m.end, m.connected.back().at);
  if (t1 <= t0) t1 = t0 + Millis(60000);
  long long ymax = std::max<long long>(1, m.plannedPoints);
  for (const auto& c : m.connected) ymax = std::max(ymax, c.up + c.degraded + c.down);
  const double top = 24, bottom = 214, left = 40, right = 740;
  Axis a{t0, t1, left, right};
  auto y = [&](long long v) {
    return bottom - (bottom - top) * static_cast<double>(v) / static_cast<double>(ymax);
  };
  // At most one sample per half pixel: a long ceremony with thousands of points changes
  // more often than the page can show.
  std::vector<ConnectedSample> shown;
  double lastX = -1;
  for (const auto& c : m.connected) {
    const double x = std::round(a.x(c.at) * 2) / 2;
    if (!shown.empty() && x == lastX)
      shown.back() = c;
    else
      shown.push_back(c);
    lastX = x;
  }
  auto steps = [&](auto value) {
    std::string d;
    long long prev = 0;
    for (std::size_t i = 0; i < shown.size(); ++i) {
      const auto& c = shown[i];
      const long long v = value(c);
      const std::string x = num(a.x(c.at));
      d += i == 0 ? "M" + x + "," + num(y(v))
                  : " L" + x + "," + num(y(prev)) + " L" + x + "," + num(y(v));
      prev = v;
    }
    d += " L" + num(a.x(t1)) + "," + num(y(prev));
    return d;
  };
  auto conn = [](const ConnectedSample& c) { return c.up + c.degraded; };
  auto up = [](const ConnectedSample& c) { return c.up; };
  auto down = [](const ConnectedSample& c) { return c.down; };
  std::string o =
      "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 760 236' "
      "font-family='sans-serif' role='img' "
      "aria-label='Biểu đồ số điểm cầu kết nối theo thời gian'>";
  o += ticks(m, a, top, bottom);
  for (long long v : {0LL, ymax / 2, ymax}) {
    o += "<text x='" + num(left - 4) + "' y='" + num(y(v) + 3) +
         "' font-size='9' text-anchor='end'>" + std::to_string(v) + "</text>";
    o += "<line x1='" + num(left) + "' y1='" + num(y(v)) + "' x2='" + num(right) + "' y2='" +
         num(y(v)) + "' stroke='#ddd' stroke-width='0.5'/>";
  }
  const std::string area = steps(conn);
  o += "<path d='" + area + " L" + num(a.x(t1)) + "," + num(bottom) + " L" + num(left) + "," +
       num(bottom) + " Z' fill='#cfe3f7' stroke='none'/>";
  o += "<path d='" + area + "' fill='none' stroke='#1f5fa8' stroke-width='1.5'/>";
  o += "<path d='" + steps(up) +
       "' fill='none' stroke='#2e8b57' stroke-width='1' stroke-dasharray='4 2'/>";
  o += "<path d='" + steps(down) + "' fill='none' stroke='#c0392b' stroke-width='1.2'/>";
  o += "<line x1='" + num(left) + "' y1='" + num(bottom) + "' x2='" + num(right) + "' y2='" +
       num(bottom) + "' stroke='#444'/>";
  const std::string lx = num(left + 10);
  o += "<rect x='" + lx +
       "' y='6' width='14' height='8' fill='#cfe3f7' stroke='#1f5fa8'/>"
       "<text x='" +
       num(left + 28) + "' y='14' font-size='10'>Đang kết nối (tốt + kém)</text>";
  o += "<line x1='" + num(left + 180) + "' y1='10' x2='" + num(left + 194) +
       "' y2='10' stroke='#2e8b57' stroke-dasharray='4 2'/><text x='" + num(left + 198) +
       "' y='14' font-size='10'>Tốt</text>";
  o += "<line x1='" + num(left + 240) + "' y1='10' x2='" + num(left + 254) +
       "' y2='10' stroke='#c0392b'/><text x='" + num(left + 258) +
       "' y='14' font-size='10'>Mất kết nối</text>";
  o += "</svg>";
  return o;
}

std::string row(const std::vector<std::string>& cells, const char* cls = "") {
  std::string o = std::string("<tr") + (*cls ? std::string(" class='") + cls + "'" : "") + ">";
  for (const auto& c : cells) o += "<td>" + c + "</td>";
  return o + "</tr>\n";
}

std::string countText(long long n, Millis total) {
  return n == 0 ? "Không" : std::to_string(n) + " lần, " + duration(total);
}

std::string itemName(const Model& m, const std::string& id) {
  for (const auto& f : m.items)
    if (f.id == id) {
      const std::string n = numberText(f.number);
      return (n.empty() ? "" : n + ". ") + (f.title.empty() ? f.id : f.title);
    }
  return id.empty() ? "—" : id;
}

// V. The programme's sound (the alive records' loudness, the sound watch's alerts) and the
// live inputs' pictures.
std::string soundSection(const Model& m) {
  const SoundFigures& s = m.sound;
  std::string o = "<h2>V. Âm thanh và hình ảnh</h2>\n<table class='info'><tbody>\n";
  const std::string target = decibels(s.targetLufs) + " LUFS";
  std::string loud = "Không đo được (nhật ký không có số liệu âm thanh)";
  if (s.integratedLufs) {
    const double diff = *s.integratedLufs - s.targetLufs;
    loud = decibels(*s.integratedLufs) + " LUFS (mức chuẩn " + target + ": " +
           (std::abs(diff) < 0.05
                ? std::string("đúng mức chuẩn")
                : (diff > 0 ? "to hơn " : "nhỏ hơn ") + decibels(std::abs(diff)) + " LU") +
           ")";
  }
  o += row({"Độ to của chương trình (EBU R128, cả buổi)", loud});
  o += row({"Đỉnh thực cao nhất", s.maxTruePeakDbtp
                                      ? decibels(*s.maxTruePeakDbtp) + " dBTP" +
                                            (*s.maxTruePeakDbtp > -1.0 ? " (quá −1,0 dBTP)" : "")
                                      : "—"});
  if (s.integratedLufs)
    o += row({"Thời gian đo",
              duration(Millis(static_cast<long long>(std::min(s.measuredS, 4e8) * 1000))) +
                  (s.runs.size() > 1
                       ? " (gộp " + std::to_string(s.runs.size()) + " lần chạy của phần mềm)"
                       : "")});
  Millis silent{0};
  for (const auto& x : s.silences) silent += x.ms();
  o += row({"Im lặng trong mục cần có tiếng",
            countText(static_cast<long long>(s.silences.size()), silent)});
  o += row({"Âm thanh bị vỡ (đỉnh quá ngưỡng)",
            s.clipping == 0 ? "Không" : std::to_string(s.clipping) + " lần"});
  o += row({"Âm lượng lệch mức chuẩn kéo dài",
            s.offTarget == 0 ? "Không" : std::to_string(s.offTarget) + " lần"});
  o += "</tbody></table>\n";
  if (!s.silences.empty()) {
    o += "<p><b>Các lần im lặng</b></p>\n<table><thead><tr><th>Mục</th><th>Từ</th><th>Đến</th>"
         "<th>Thời lượng</th></tr></thead><tbody>\n";
    for (const auto& x : s.silences)
      o += row({esc(itemName(m, x.item)), clock(m, x.from),
                clock(m, x.to) + (x.told ? "" : " (chưa có tiếng trở lại)"), duration(x.ms())},
               "bad");
    o += "</tbody></table>\n";
  }
  bool pictures = false;
  for (const auto& i : m.inputs) pictures = pictures || i.trouble();
  if (pictures) {
    o += "<p><b>Nguồn vào trực tiếp</b></p>\n<table><thead><tr><th>Nguồn vào</th><th>Mất tín "
         "hiệu</th><th>Đứng hình</th><th>Đen hình</th></tr></thead><tbody>\n";
    for (const auto& i : m.inputs)
      if (i.trouble())
        o += row({esc(i.id), countText(i.outages, i.outage), countText(i.frozen, i.frozenFor),
                  countText(i.black, i.blackFor)},
                 "bad");
    o += "</tbody></table>\n";
  }
  return o;
}

}  // namespace

std::string renderHtml(const Model& m) {
  std::string o;
  o += "<!DOCTYPE html>\n<html lang='vi'>\n<head>\n<meta charset='utf-8'>\n";
  o += "<title>Báo cáo kết quả tổ chức " + esc(m.title) + "</title>\n";
  o += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  o += "<h1>BÁO CÁO KẾT QUẢ TỔ CHỨC</h1>\n";
  o += "<p class='sub'>" + (m.title.empty() ? std::string("(chưa có tên sự kiện)") : esc(m.title)) +
       "</p>\n";
  o += "<p class='meta'>" + esc(m.venue) + (m.venue.empty() || m.date.empty() ? "" : ", ") +
       (m.date.empty() ? "" : "ngày " + esc(dateText(m.date))) + "</p>\n";
  if (m.draft)
    o += "<div class='draft'>BẢN NHÁP — số liệu tính đến " + clock(m, m.end) +
         ", buổi lễ chưa kết thúc</div>\n";
  if (!m.warnings.empty()) {
    o += "<div class='warn'><b>Lưu ý về nhật ký:</b><ul>";
    for (const auto& w : m.warnings) o += "<li>" + esc(w) + "</li>";
    o += "</ul></div>\n";
  }

  // I. General information.
  o += "<h2>I. Thông tin chung</h2>\n<table class='info'><tbody>\n";
  o += row({"Tên sự kiện", esc(m.title)});
  o += row({"Ngày tổ chức", esc(dateText(m.date))});
  o += row({"Địa điểm", esc(m.venue)});
  o += row({"Mã buổi lễ", esc(m.ceremony)});
  o += row({"Số điểm cầu theo kế hoạch", std::to_string(m.plannedPoints)});
  o += row({"Thời điểm lập báo cáo", clock(m, m.generatedAt).substr(0, 8) + " ngày " +
                                         esc(dateText(iso(m, m.generatedAt).substr(0, 10)))});
  o += "</tbody></table>\n";

  // II. Live stream.
  o += "<h2>II. Phát trực tiếp</h2>\n<table class='info'><tbody>\n";
  o += row({"Bắt đầu phát trực tiếp", opt(m, m.streamStarted)});
  o += row({"Kết thúc phát trực tiếp",
            m.streamLiveAtEnd && m.draft ? "đang phát" : opt(m, m.streamEnded)});
  o += "</tbody></table>\n";
  o += "<table><thead><tr><th>Đầu ra</th><th>Loại</th><th>Thời gian phát</th><th>Số lần kết "
       "nối lại</th><th>Gián đoạn dài nhất</th><th>Các lần gián đoạn</th></tr></thead><tbody>\n";
  for (const auto& out : m.outputs) {
    std::string list;
    for (const auto& s : out.outages)
      list += (list.empty() ? "" : "<br>") + clock(m, s.from) + " – " + clock(m, s.to) + " (" +
              duration(s.ms()) + ")";
    o += row(
        {esc(out.id), esc(out.kind), duration(out.live), std::to_string(out.reconnects),
         out.outages.empty() ? "—" : duration(out.longestOutage), list.empty() ? "Không" : list},
        out.outages.empty() ? "" : "bad");
  }
  if (m.outputs.empty()) o += "<tr><td colspan='6'>Không có đầu ra nào.</td></tr>\n";
  o += "</tbody></table>\n";
  for (const auto& g : m.gaps)
    o += "<p class='warn'>Phần mềm không chạy từ " + clock(m, g.from) + " đến " + clock(m, g.to) +
         " (" + duration(g.ms()) +
         "): trong thời gian này không có phát trực tiếp và không theo dõi được điểm cầu.</p>\n";

  // III. Programme.
  o += "<h2>III. Chương trình</h2>\n";
  o += "<div class='keep'>" + itemsChart(m) + "</div>\n";
  // A column for the silences in each item when the daemon listened (a journal with sound).
  const bool heard = m.sound.any();
  o += "<table><thead><tr><th>STT</th><th>Nội dung</th><th>Bắt đầu dự kiến</th><th>Bắt đầu "
       "thực tế</th><th>Kết thúc dự kiến</th><th>Kết thúc thực tế</th><th>Chênh lệch</th>"
       "<th>Thao tác</th>" +
       std::string(heard ? "<th>Im lặng</th>" : "") + "</tr></thead><tbody>\n";
  for (const auto& f : m.items) {
    std::string actions;
    for (const auto& a : f.actions)
      actions += (actions.empty() ? "" : "<br>") + clock(m, a.at) + ": " + esc(actionText(m, a)) +
                 (a.who.empty() ? "" : " (" + esc(whoText(a.who)) + ")");
    if (f.skipped) actions = "<b>Bỏ qua</b>" + (actions.empty() ? "" : "<br>" + actions);
    std::vector<std::string> cells = {esc(numberText(f.number)), esc(f.title),
                                      opt(m, f.plannedStart),    opt(m, f.actualStart),
                                      opt(m, f.plannedEnd),      opt(m, f.actualEnd),
                                      slipText(f.slipMs()),      actions};
    if (heard)
      cells.push_back(f.silences == 0
                          ? std::string("Không")
                          : duration(f.silent) + " (" + std::to_string(f.silences) + " lần)");
    o += row(cells, f.skipped ? "skip" : "");
  }
  if (m.items.empty())
    o += "<tr><td colspan='" + std::string(heard ? "9" : "8") + "'>Không có mục nào.</td></tr>\n";
  o += "</tbody></table>\n";

  // IV. Connection points.
  o += "<h2>IV. Điểm cầu</h2>\n<table class='info'><tbody>\n";
  o += row({"Số điểm cầu theo kế hoạch", std::to_string(m.plannedPoints)});
  o += row({"Kết nối lúc khai mạc", m.connectedAtOpening
                                        ? std::to_string(*m.connectedAtOpening) + "/" +
                                              std::to_string(m.plannedPoints) + " điểm cầu (lúc " +
                                              clock(m, *m.openingAt) + ")"
                                        : "—"});
  std::string launchTitle;
  for (const auto& f : m.items)
    if (f.id == m.launchItem) launchTitle = f.title;
  o += row({"Kết nối tại thời điểm " + (launchTitle.empty() ? "phát động" : esc(launchTitle)),
            m.connectedAtLaunch
                ? std::to_string(*m.connectedAtLaunch) + "/" + std::to_string(m.plannedPoints) +
                      " điểm cầu (lúc " + clock(m, *m.launchAt) + ")"
                : "—"});
  long long trouble = 0;
  for (const auto& p : m.points) trouble += p.trouble() ? 1 : 0;
  o += row({"Điểm cầu có sự cố", std::to_string(trouble)});
  o += "</tbody></table>\n";
  o += "<div class='keep'>" + pointsChart(m) + "</div>\n";
  o += "<table class='pts'><thead><tr><th>STT</th><th>Điểm cầu</th><th>Loại</th><th>Người liên "
       "hệ</th>"
       "<th>Kết nối lần đầu</th><th>Tốt</th><th>Kém</th><th>Mất kết nối</th><th>Số lần mất</th>"
       "<th>Xem qua cầu</th><th>Gửi hình về</th></tr></thead><tbody>\n";
  int n = 0;
  for (const auto& p : m.points) {
    std::string contact = esc(p.contactName);
    if (!p.contactPhone.empty())
      contact += (contact.empty() ? "" : "<br>") + std::string("<span class='t'>") +
                 esc(p.contactPhone) + "</span>";
    o += row({std::to_string(++n), esc(p.name) + "<br><small>" + esc(p.id) + "</small>",
              esc(p.kind), contact, opt(m, p.firstConnected), duration(p.up), duration(p.degraded),
              duration(p.down), std::to_string(p.outages), p.watchedBridge ? "Có" : "Không",
              p.returnFeed ? "Có" : "Không"},
             p.down.count() > 0 || p.outages > 0 ? "bad" : "");
  }
  if (m.points.empty()) o += "<tr><td colspan='11'>Không có điểm cầu nào.</td></tr>\n";
  o += "</tbody></table>\n";
  if (!m.outages.empty()) {
    o += "<p><b>Các lần mất kết nối của điểm cầu</b></p>\n<table><thead><tr><th>Điểm cầu</th>"
         "<th>Từ</th><th>Đến</th><th>Thời lượng</th><th>Lý do</th></tr></thead><tbody>\n";
    // A point's back-to-back flapping summaries (one per 10 minutes) print as one row.
    std::vector<OutageRow> rows;
    std::map<std::string, std::size_t> flapRow;
    for (const auto& x : m.outages) {
      auto it = flapRow.find(x.point);
      if (x.flapping && it != flapRow.end() && rows[it->second].to &&
          x.from <= *rows[it->second].to) {
        OutageRow& r = rows[it->second];
        r.to = std::max(*r.to, x.to.value_or(*r.to));
        r.ms += x.ms;
        r.count += x.count;
        r.reason = "chập chờn: " + std::to_string(r.count) + " lần mất kết nối";
        continue;
      }
      if (x.flapping)
        flapRow[x.point] = rows.size();
      else
        flapRow.erase(x.point);
      rows.push_back(x);
    }
    for (const auto& x : rows)
      o += row({esc(x.name), clock(m, x.from), x.to ? clock(m, *x.to) : "chưa kết nối lại",
                duration(x.ms), esc(x.reason)});
    o += "</tbody></table>\n";
  }

  o += soundSection(m);

  // VI. Incidents and operator actions.
  o += "<h2>VI. Sự cố và thao tác</h2>\n<table><thead><tr><th>Thời gian</th><th>Nội "
       "dung</th></tr></thead><tbody>\n";
  for (const auto& l : m.log) o += row({clock(m, l.at), esc(l.message)});
  if (m.log.empty()) o += "<tr><td colspan='2'>Không có.</td></tr>\n";
  o += "</tbody></table>\n";
  o += "<p class='foot'>Báo cáo do phần mềm ceremonyd lập tự động từ nhật ký buổi lễ.</p>\n";
  o += "</body>\n</html>\n";
  return o;
}

}  // namespace ceremony::report::detail
