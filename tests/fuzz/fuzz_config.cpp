// Any bytes through the config parser: it must report, never throw or crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/ConfigParser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Relative paths resolve into a folder that does not exist, so nothing real is touched.
  ceremony::LoadResult r = ceremony::parseConfigText(text, "fuzz.toml", "/nonexistent/fuzz");
  // A usable config without errors, and an exit status that agrees with the diagnostics.
  if (r.config.has_value() == r.diagnostics.hasErrors()) std::abort();
  if (r.diagnostics.exitCode() < 0 || r.diagnostics.exitCode() > 2) std::abort();
  for (const auto& d : r.diagnostics.all())
    if (d.format().empty()) std::abort();
  return 0;
}
