// Any bytes as the journal (journal.jsonl): reading it and building the report from it must
// never throw or crash, and every record the reader returns is an object with a string "at"
// and a string "type".
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "report/Journal.h"
#include "report/Report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace std::chrono;
  // 28/7/2025 15:00 in Vietnam: a fixed "now" for the draft.
  const ceremony::WallTime now =
      time_point_cast<ceremony::Millis>(sys_days{year{2025} / 7 / 28} + hours{8});
  try {
    auto journal = ceremony::report::readJournal(text);
    for (const auto& r : journal.records) {
      if (!r.is_object()) std::abort();
      auto at = r.find("at");
      auto type = r.find("type");
      if (at == r.end() || !at->is_string() || type == r.end() || !type->is_string()) std::abort();
    }
    auto report = ceremony::report::buildReport(journal, now, true);
    if (report.html.empty() || report.itemsCsv.substr(0, 3) != "\xEF\xBB\xBF") std::abort();
    if (!report.json.is_object() || !report.json.contains("points")) std::abort();
    (void)report.json.dump();  // every string in it is valid UTF-8 or dump throws
  } catch (...) {
    std::abort();  // a throw here is a report that never comes
  }
  return 0;
}
