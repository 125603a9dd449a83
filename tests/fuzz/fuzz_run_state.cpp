// Any bytes as the resume file (run-state.json): reading it must never throw, crash or hang,
// and a state it accepts must save and read back as the same state.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "app/RunState.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why;
  std::optional<ceremony::RunState> s;
  try {
    s = ceremony::parseRunState(text, &why);
  } catch (...) {
    std::abort();  // a throw here is a daemon that never starts again
  }
  if (!s) {
    if (why.empty()) std::abort();  // refused without a reason
    return 0;
  }
  if (!(s->rehearsalSpeed >= 1.0 && s->rehearsalSpeed <= 3600.0)) std::abort();
  for (const auto& c : s->commands)
    if (c.by.count() < -86400000LL || c.by.count() > 86400000LL) std::abort();
  // What is accepted round-trips (times are kept to the millisecond).
  std::string again;
  auto back = ceremony::parseRunState(s->toJson().dump(), &again);
  if (!back || back->ceremony != s->ceremony || back->commands.size() != s->commands.size() ||
      back->stoppedOutputs != s->stoppedOutputs || back->origin != s->origin)
    std::abort();
  return 0;
}
