#include "ctl/CtlReport.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "report/Report.h"

extern char** environ;

namespace ceremony::ctl {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The first of Chromium's names found on PATH.
std::string findChromium() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    std::size_t from = 0;
    while (from <= dirs.size()) {
      std::size_t to = dirs.find(':', from);
      if (to == std::string::npos) to = dirs.size();
      const fs::path p = fs::path(dirs.substr(from, to - from)) / name;
      if (!p.parent_path().empty() && ::access(p.c_str(), X_OK) == 0) return p.string();
      from = to + 1;
    }
  }
  return {};
}

// Prints `html` to `pdf` with headless Chromium; false (and why) when it cannot.
bool printPdf(const fs::path& html, const fs::path& pdf, std::string* why) {
  const std::string chromium = findChromium();
  if (chromium.empty()) {
    *why = "không tìm thấy Chromium (chromium) để in PDF; mở tệp HTML và in từ trình duyệt";
    return false;
  }
  std::vector<std::string> args = {chromium,
                                   "--headless",
                                   "--disable-gpu",
                                   "--no-first-run",
                                   "--no-pdf-header-footer",
                                   "--print-to-pdf-no-header",
                                   "--print-to-pdf=" + pdf.string(),
                                   "file://" + fs::absolute(html).string()};
  // Chromium refuses to run as root with its sandbox.
  if (::geteuid() == 0) args.insert(args.begin() + 1, "--no-sandbox");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, chromium.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    *why = "không chạy được " + chromium;
    return false;
  }
  // A browser that hangs is stopped after a minute.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      *why = "Chromium không in xong trong 60 giây";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::error_code ec;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || fs::file_size(pdf, ec) == 0 || ec) {
    *why = "Chromium không in được PDF";
    return false;
  }
  return true;
}

}  // namespace

int reportCommand(const ReportArgs& args, const std::function<Fetched(const std::string&)>& get) {
  report::ReportFiles files;
  if (!args.journal.empty()) {
    // A mistyped path is not an empty ceremony.
    std::error_code ec;
    if (!fs::is_regular_file(args.journal, ec)) {
      std::cerr << "ceremonyctl: không có tệp nhật ký " << args.journal
                << " (the daemon's journal is journal.jsonl in its --state-dir)\n";
      return 1;
    }
    const auto records = report::readJournalFile(args.journal);
    const bool ended =
        !records.records.empty() && records.records.back().value("type", "") == "stop";
    const WallTime now = std::chrono::time_point_cast<Millis>(WallClock::now());
    files = report::buildReport(records, now, !ended);
  } else {
    struct Part {
      const char* format;
      std::string* into;
    };
    std::string jsonText;
    for (const Part& part :
         {Part{"json", &jsonText}, Part{"html", &files.html}, Part{"items.csv", &files.itemsCsv},
          Part{"points.csv", &files.pointsCsv}, Part{"outages.csv", &files.outagesCsv}}) {
      const Fetched r = get(std::string("/api/report?format=") + part.format);
      if (!r.error.empty()) {
        std::cerr << "ceremonyctl: không kết nối được ceremonyd (is the daemon running?): "
                  << r.error
                  << "\n  (khi ceremonyd không chạy: ceremonyctl report --journal "
                     "/var/lib/ceremonyd/journal.jsonl)\n";
        return 3;
      }
      if (r.status >= 400) {
        const json e = json::parse(r.body, nullptr, false);
        std::cerr << "ceremonyctl: report: HTTP " << r.status << ": "
                  << (e.is_object() ? e.value("error", r.body) : r.body) << "\n";
        return r.status >= 500 ? 3 : 1;
      }
      *part.into = r.body;
    }
    files.json = json::parse(jsonText, nullptr, false);
    if (!files.json.is_object()) {
      std::cerr << "ceremonyctl: the daemon's report is not JSON\n";
      return 3;
    }
    const json& event = files.json["event"];
    files.date = event.is_object() && event["date"].is_string() ? event["date"].get<std::string>()
                                                                : std::string();
  }
  std::string error;
  const auto written = report::writeReport(files, args.dir, &error);
  if (written.empty()) {
    std::cerr << "ceremonyctl: không ghi được báo cáo vào " << args.dir << ": " << error << "\n";
    return 1;
  }
  const json& j = files.json;
  if (j.is_object() && j.value("draft", false))
    (args.json ? std::cerr : std::cout)
        << "Bản nháp (buổi lễ chưa kết thúc) / draft: the ceremony has not ended\n";
  for (const auto& w : j.is_object() && j["warnings"].is_array() ? j["warnings"] : json::array())
    if (w.is_string()) std::cerr << "Cảnh báo: " << w.get<std::string>() << "\n";
  std::ostream& names = args.json ? std::cerr : std::cout;
  if (args.json) std::cout << j.dump(2) << "\n";
  for (const auto& p : written) names << p.string() << "\n";
  if (args.pdf) {
    fs::path html;
    for (const auto& p : written)
      if (p.extension() == ".html") html = p;
    fs::path pdf = html;
    pdf.replace_extension(".pdf");
    std::string why;
    if (html.empty() || !printPdf(html, pdf, &why)) {
      std::cerr << "ceremonyctl: " << why << "\n";
      return 1;
    }
    names << pdf.string() << "\n";
  }
  return 0;
}

}  // namespace ceremony::ctl
