#pragma once
// The names every integration test file uses: the filesystem, JSON, the steady clock and
// chrono literals, the folder of test data, and a duration in seconds for messages.

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace ceremony::testing {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline const fs::path kData = fs::path(CEREMONYD_SOURCE_DIR) / "tests/integration/data";

inline double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace ceremony::testing
