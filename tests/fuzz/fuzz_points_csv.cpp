// Any bytes as a points CSV: the reader must never crash, hang or lose track of lines,
// and every point it returns must have passed the checks.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "health/PointFields.h"
#include "health/PointsCsv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ceremony::Diagnostics d;
  auto points = ceremony::health::parsePointsCsv(text, "fuzz.csv", d);
  for (const auto& p : points) {
    if (!ceremony::health::checkPointId(p.id).empty()) std::abort();
    if (!ceremony::health::canonicalPointKind(p.kind)) std::abort();
    if (p.origin.line < 2) std::abort();  // the header is line 1
  }
  for (const auto& x : d.all())
    if (x.line < 0 || x.column < 0 || x.message.empty()) std::abort();
  // A bad row is never silent: without errors, every data row is a point or adds a probe.
  if (!d.hasErrors()) {
    ceremony::Diagnostics again;
    const auto rows = ceremony::health::readCsvRows(text, "fuzz.csv", again);
    const std::size_t dataRows = rows.empty() ? 0 : rows.size() - 1;
    std::size_t probes = 0;
    for (const auto& p : points) probes += p.probes.size();
    if (points.size() > dataRows || dataRows > points.size() + probes) std::abort();
  }
  return 0;
}
