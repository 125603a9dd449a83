// ceremonyctl: the technical team's command line for a running ceremonyd (its HTTP API).
//
//   ceremonyctl [--url URL] [--cacert FILE] [--token-file FILE] [--json] COMMAND [ARG]
//
// Exit codes: 0 done, 1 the daemon refused (4xx: bad value, unknown id, not now, token),
// 2 usage error, 3 the daemon cannot be reached or answered badly.

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ctl/CtlPoints.h"
#include "ctl/CtlReport.h"
#include "ctl/CtlTable.h"

namespace {

using ceremony::ctl::pad;
using nlohmann::json;

constexpr const char* kUsage = R"(Cách dùng / usage: ceremonyctl [options] COMMAND [ARG]

Commands:
  status               the ceremony now: item on air, next item, outputs, points
  timeline             the run-of-show with planned and actual times
  next                 end the current item, start the next one
  hold | resume        hold the current item (its end waits) / let it run again
  goto ID              jump to item ID
  extend SECONDS       make the current item longer (later items slip)
  cut SCENE            cut the programme to SCENE until the next item
  cue NAME             give a manual item's cue (e.g. the launch button)
  points [WORDS…] [--search WORDS] [--state S,S] [--group GROUP] [--not-watching] [--down]
                       the connection points, trouble first (down, degraded, unknown,
                       maintenance, up; then group and name), with whom to call for those
                       not up; WORDS or --search: every word in the name, id, group or
                       contact, with or without diacritics ("nghia hanh"); --state: only
                       these states (up, degraded, down, unknown, maintenance); --group:
                       only this group (province), e.g. --group "Quảng Ngãi";
                       --not-watching: points with a bridge probe not watching now;
                       --down: only those not up. Ends with "N/M điểm cầu khớp".
  points --links       every point's viewing link for the video bridge, to send to the
                       communes (operator token: the links carry the points' tokens)
  bridge               the video bridge's sessions: who watches, round trip, loss
  outputs              the destinations with state and bitrate
  events               recent events, newest first
  report [--report-dir DIR] [--pdf] [--journal FILE]
                       the results report now (a draft while the ceremony runs): HTML
                       and three CSV files written in DIR (default: here); --pdf prints
                       the HTML to PDF with headless Chromium; --journal builds it from
                       the daemon's journal file when the daemon is not running

Options:
  --url URL            the daemon (default $CEREMONYCTL_URL or http://127.0.0.1:8080)
  --cacert FILE        for an https:// daemon with its own certificate: the PEM
                       certificate (or authority) to check it against
                       (default $CEREMONYCTL_CACERT, else the system's)
  --token-file FILE    a file holding the viewer or operator token
                       (default $CEREMONYCTL_TOKEN_FILE)
  --json               print the daemon's JSON answer as it is
  --help
)";

struct Reply {
  long status = 0;
  std::string body;
  std::string error;  // transport failure
};

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The certificate authority (or the self-signed certificate) an https:// daemon is checked
// against; empty: the system's. The daemon's certificate is always verified.
std::string caFile;

Reply call(const std::string& method, const std::string& url, const std::string& token,
           const std::string& body) {
  Reply r;
  CURL* c = curl_easy_init();
  if (!c) {
    r.error = "cannot start libcurl";
    return r;
  }
  curl_slist* headers = nullptr;
  std::string auth;
  if (!token.empty()) {
    auth = "Authorization: Bearer " + token;
    headers = curl_slist_append(headers, auth.c_str());
  }
  if (method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  // The daemon's journal says a command came from here (not the dashboard).
  curl_easy_setopt(c, CURLOPT_USERAGENT, "ceremonyctl/1");
  if (!caFile.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, caFile.c_str());
  // The token never follows a redirect anywhere, and never goes out over plain HTTP to
  // another machine because of one.
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    r.error = err[0] ? err : curl_easy_strerror(rc);
  else
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  // The token is not kept longer than needed.
  std::fill(auth.begin(), auth.end(), '\0');
  return r;
}

std::string text(const json& j, const char* key, const std::string& otherwise = "–") {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return otherwise;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::string duration(const json& ms) {
  if (!ms.is_number()) return "–";
  long long s = ms.get<long long>() / 1000;
  const bool neg = s < 0;
  if (neg) s = -s;
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%s%lld:%02lld:%02lld", neg ? "-" : "", s / 3600, s / 60 % 60,
                  s % 60);
  else
    std::snprintf(buf, sizeof buf, "%s%lld:%02lld", neg ? "-" : "", s / 60, s % 60);
  return buf;
}

void printTable(const std::vector<std::string>& head,
                const std::vector<std::vector<std::string>>& rows) {
  std::cout << ceremony::ctl::table(head, rows);
}

void showStatus(const json& j) {
  std::cout << text(j["event"], "title") << "\n";
  std::cout << "Giờ / clock: " << text(j, "clock") << "   "
            << (j.value("live", false) ? "ĐANG PHÁT TRỰC TIẾP (LIVE)" : "CHƯA PHÁT (NOT LIVE)")
            << "   phase: " << text(j, "phase") << "\n";
  if (j["current"].is_object()) {
    const json& c = j["current"];
    std::cout << "Đang diễn ra / on air: " << c.value("number", 0) << "/"
              << j.value("item_count", 0) << " " << text(c, "title") << " (bắt đầu "
              << text(c, "start_clock") << ", còn " << duration(j["remaining_ms"]) << ")"
              << (c.value("state", "") == "held" ? " — ĐANG GIỮ (held)" : "") << "\n";
  } else {
    std::cout << "Đang diễn ra / on air: –\n";
  }
  if (j["next"].is_object())
    std::cout << "Tiếp theo / next: " << text(j["next"], "title") << " (lúc "
              << text(j["next"], "start_clock") << ", sau " << duration(j["countdown_ms"])
              << (j.value("next_starts_by_itself", true) ? "" : ", chờ lệnh") << ")\n";
  for (const auto& o : j["outputs"])
    std::cout << "Đầu ra / output " << text(o, "id") << ": " << text(o, "state") << ", "
              << o.value("bitrate_kbps", 0) << " kbps\n";
  const json& p = j["points"];
  if (p.is_object() && p.value("total", 0) > 0)
    std::cout << "Điểm cầu / points: " << p.value("up", 0) << "/" << p.value("total", 0)
              << " hoạt động, " << p.value("degraded", 0) << " chập chờn, " << p.value("down", 0)
              << " mất kết nối, " << p.value("maintenance", 0) << " bảo trì"
              << (p.value("uplink_alarm", false) ? " — MẤT ĐƯỜNG TRUYỀN TỈNH" : "") << "\n";
}

void showTimeline(const json& j) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& i : j["items"])
    rows.push_back({std::to_string(i.value("number", 0)), text(i, "id"),
                    text(i, "planned_start_clock") + "–" + text(i, "planned_end_clock"),
                    text(i, "start_clock") + "–" + text(i, "end_clock"), text(i, "cue"),
                    text(i, "state"), text(i, "title")});
  printTable({"#", "id", "kế hoạch", "thực tế/dự kiến", "cue", "trạng thái", "tiêu đề"}, rows);
}

// One line per point: its name and the link its commune opens (the daemon's own address;
// behind a proxy, replace the start with the address the communes reach).
void showLinks(const json& j, const std::string& base) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : j) rows.push_back({text(p, "id"), text(p, "name"), base + text(p, "path")});
  printTable({"id", "tên", "liên kết xem (gửi riêng cho từng điểm cầu)"}, rows);
}

void showBridge(const json& j) {
  std::vector<std::vector<std::string>> rows;
  auto ms = [](const json& p, const char* k) {
    return p.contains(k) && p[k].is_number() ? std::to_string(p[k].get<long long>()) + " ms" : "–";
  };
  for (const auto& p : j) {
    std::string loss = "–";
    if (p.contains("loss_percent") && p["loss_percent"].is_number()) {
      std::ostringstream o;
      o.precision(1);
      o << std::fixed << p["loss_percent"].get<double>() << " %";
      loss = o.str();
    }
    rows.push_back({text(p, "point"), text(p, "session"), text(p, "transport"),
                    p.value("connected", false) ? "đang xem" : "đang kết nối", ms(p, "rtt_ms"),
                    loss, p.contains("kbps") ? std::to_string(p.value("kbps", 0)) + " kb/s" : "–",
                    text(p, "peer", ""), text(p, "since", "")});
  }
  printTable(
      {"điểm cầu", "phiên", "kiểu", "trạng thái", "RTT", "mất gói", "tốc độ", "địa chỉ", "từ lúc"},
      rows);
  std::cout << j.size() << " phiên / sessions\n";
}

void showOutputs(const json& j) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& o : j)
    rows.push_back({text(o, "id"), text(o, "kind"), text(o, "state"),
                    std::to_string(o.value("bitrate_kbps", 0)) + " kbps", text(o, "destination"),
                    text(o, "last_error", "")});
  printTable({"id", "loại", "trạng thái", "bitrate", "đích", "lỗi gần nhất"}, rows);
}

void showEvents(const json& j) {
  for (const auto& e : j["events"]) {
    std::string at = text(e, "at");
    if (at.size() >= 19) at = at.substr(11, 8);
    std::string what = text(e, "message", "");
    if (what.empty())
      what = text(e, "point", "") + " " + text(e, "from", "") + " → " + text(e, "to", "") + " " +
             text(e, "reason", "");
    std::cout << at << "  " << pad(text(e, "kind"), 9) << "  " << what << "\n";
  }
}

std::optional<std::string> readToken(const std::string& file, std::string* why) {
  std::ifstream in(file);
  if (!in) {
    *why = "cannot read the token file " + file;
    return std::nullopt;
  }
  std::string t;
  std::getline(in, t);
  while (!t.empty() && (t.back() == '\r' || t.back() == ' ' || t.back() == '\t')) t.pop_back();
  if (t.empty()) {
    *why = "the token file " + file + " is empty";
    return std::nullopt;
  }
  return t;
}

std::string escapePath(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string url = std::getenv("CEREMONYCTL_URL") ? std::getenv("CEREMONYCTL_URL") : "";
  std::string tokenFile =
      std::getenv("CEREMONYCTL_TOKEN_FILE") ? std::getenv("CEREMONYCTL_TOKEN_FILE") : "";
  if (const char* ca = std::getenv("CEREMONYCTL_CACERT")) caFile = ca;
  bool asJson = false, links = false;
  ceremony::ctl::PointsArgs pointsArgs;
  ceremony::ctl::ReportArgs reportArgs;
  std::vector<std::string> words;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& name) -> std::optional<std::string> {
      if (a.rfind(name + "=", 0) == 0) return a.substr(name.size() + 1);
      if (i + 1 < args.size()) return args[++i];
      std::cerr << "ceremonyctl: " << name << " needs a value\n";
      return std::nullopt;
    };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--json") {
      asJson = true;
    } else if (a == "--down") {
      pointsArgs.notUp = true;
    } else if (a == "--not-watching") {
      pointsArgs.notWatching = true;
    } else if (a == "--state" || a.rfind("--state=", 0) == 0) {
      auto v = value("--state");
      if (!v) return 2;
      pointsArgs.states = *v;
    } else if (a == "--search" || a.rfind("--search=", 0) == 0) {
      auto v = value("--search");
      if (!v) return 2;
      pointsArgs.search += (pointsArgs.search.empty() ? "" : " ") + *v;
    } else if (a == "--group" || a.rfind("--group=", 0) == 0) {
      auto v = value("--group");
      if (!v) return 2;
      pointsArgs.group = *v;
    } else if (a == "--links") {
      links = true;
    } else if (a == "--pdf") {
      reportArgs.pdf = true;
    } else if (a == "--report-dir" || a.rfind("--report-dir=", 0) == 0) {
      auto v = value("--report-dir");
      if (!v) return 2;
      reportArgs.dir = *v;
    } else if (a == "--journal" || a.rfind("--journal=", 0) == 0) {
      auto v = value("--journal");
      if (!v) return 2;
      reportArgs.journal = *v;
    } else if (a == "--url" || a.rfind("--url=", 0) == 0) {
      auto v = value("--url");
      if (!v) return 2;
      url = *v;
    } else if (a == "--cacert" || a.rfind("--cacert=", 0) == 0) {
      auto v = value("--cacert");
      if (!v) return 2;
      caFile = *v;
    } else if (a == "--token-file" || a.rfind("--token-file=", 0) == 0) {
      auto v = value("--token-file");
      if (!v) return 2;
      tokenFile = *v;
    } else if (a.size() > 1 && a[0] == '-' && !(words.size() == 1 && words[0] == "extend")) {
      std::cerr << "ceremonyctl: unknown option «" << a << "» (see --help)\n";
      return 2;
    } else {
      words.push_back(a);
    }
  }
  if (url.empty()) url = "http://127.0.0.1:8080";
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (words.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string cmd = words[0];
  auto needArg = [&](const char* what) -> std::optional<std::string> {
    if (words.size() != 2) {
      std::cerr << "ceremonyctl: " << cmd << " needs " << what << " (see --help)\n";
      return std::nullopt;
    }
    return words[1];
  };

  // The token from --token-file, if one is given; false (said why) when it cannot be read.
  auto loadToken = [&](std::string& token) {
    if (tokenFile.empty()) return true;
    std::string why;
    auto t = readToken(tokenFile, &why);
    if (!t) {
      std::cerr << "ceremonyctl: " << why << "\n";
      return false;
    }
    token = std::move(*t);
    return true;
  };

  std::string method = "GET", path, body;
  if (cmd == "report") {
    reportArgs.json = asJson;
    if (words.size() > 1) {
      std::cerr << "ceremonyctl: report takes no argument (see --help)\n";
      return 2;
    }
    std::string token;
    if (reportArgs.journal.empty() && !loadToken(token)) return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const int rc = ceremony::ctl::reportCommand(reportArgs, [&](const std::string& p) {
      const Reply r = call("GET", url + p, token, {});
      return ceremony::ctl::Fetched{r.status, r.body, r.error};
    });
    std::fill(token.begin(), token.end(), '\0');
    curl_global_cleanup();
    return rc;
  }
  if (cmd == "status") {
    path = "/api/status";
  } else if (cmd == "timeline") {
    path = "/api/timeline";
  } else if (cmd == "next" || cmd == "hold" || cmd == "resume") {
    method = "POST";
    path = "/api/timeline/" + cmd;
  } else if (cmd == "goto") {
    auto id = needArg("an item id");
    if (!id) return 2;
    method = "POST";
    path = "/api/timeline/goto";
    body = json{{"id", *id}}.dump();
  } else if (cmd == "extend") {
    auto s = needArg("a number of seconds");
    if (!s) return 2;
    char* end = nullptr;
    const long v = std::strtol(s->c_str(), &end, 10);
    if (s->empty() || *end != '\0') {
      std::cerr << "ceremonyctl: extend needs a whole number of seconds, not «" << *s << "»\n";
      return 2;
    }
    method = "POST";
    path = "/api/timeline/extend";
    body = json{{"seconds", v}}.dump();
  } else if (cmd == "cut") {
    auto scene = needArg("a scene id");
    if (!scene) return 2;
    method = "POST";
    path = "/api/program/cut";
    body = json{{"scene", *scene}}.dump();
  } else if (cmd == "cue") {
    auto name = needArg("a cue name");
    if (!name) return 2;
    method = "POST";
    path = "/api/cue/" + escapePath(*name);
  } else if (cmd == "points") {
    // The words after `points` are a search, as --search.
    for (std::size_t i = 1; i < words.size(); ++i)
      pointsArgs.search += (pointsArgs.search.empty() ? "" : " ") + words[i];
    words.resize(1);
    path = links ? "/api/bridge/links" : ceremony::ctl::pointsPath(pointsArgs);
  } else if (cmd == "bridge") {
    path = "/api/bridge";
  } else if (cmd == "outputs") {
    path = "/api/outputs";
  } else if (cmd == "events") {
    path = "/api/events?limit=50";
  } else {
    std::cerr << "ceremonyctl: unknown command «" << cmd << "» (see --help)\n";
    return 2;
  }
  if (words.size() > 1 && method == "GET") {
    std::cerr << "ceremonyctl: " << cmd << " takes no argument\n";
    return 2;
  }

  std::string token;
  if (!loadToken(token)) return 2;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  const Reply r = call(method, url + path, token, body);
  std::fill(token.begin(), token.end(), '\0');
  curl_global_cleanup();
  if (!r.error.empty()) {
    std::cerr << "ceremonyctl: không kết nối được ceremonyd tại " << url
              << " (is the daemon running?): " << r.error << "\n";
    return 3;
  }
  json j = json::parse(r.body, nullptr, false);
  if (r.status >= 400) {
    std::string msg = j.is_object() ? j.value("error", r.body) : r.body;
    std::cerr << "ceremonyctl: " << cmd << ": HTTP " << r.status << ": " << msg << "\n";
    if (r.status == 401)
      std::cerr << "ceremonyctl: give a token with --token-file FILE or CEREMONYCTL_TOKEN_FILE\n";
    return r.status >= 500 ? 3 : 1;
  }
  if (j.is_discarded()) {
    std::cerr << "ceremonyctl: the daemon answered something that is not JSON (HTTP " << r.status
              << ")\n";
    return 3;
  }
  if (asJson) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  if (cmd == "status")
    showStatus(j);
  else if (cmd == "timeline")
    showTimeline(j);
  else if (cmd == "points" && links)
    showLinks(j, url);
  else if (cmd == "points")
    std::cout << ceremony::ctl::pointsText(j);
  else if (cmd == "bridge")
    showBridge(j);
  else if (cmd == "outputs")
    showOutputs(j);
  else if (cmd == "events")
    showEvents(j);
  else
    std::cout << "Đã thực hiện / done: " << cmd << (words.size() > 1 ? " " + words[1] : "") << "\n";
  return 0;
}
