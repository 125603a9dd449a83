#pragma once
// tests/tools/bridge_viewer run by a test: viewers of the bridge (WHEP, Janus or SRT) in a
// process of their own, and what they received, read back from its JSON lines.
//
//   BridgeViewer v(dir, "whep", {"--whep", url, "--token-file", f, "--decode", "--seconds", "3"});
//   v.waitFor(20s);
//   v.joined() / v.lastStats(0)["frames"] / v.failures()

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/Process.h"

namespace ceremony::testing {

class BridgeViewer {
 public:
  // `prefix`: command words before the tool (e.g. {"ip", "netns", "exec", "ns"}).
  BridgeViewer(const std::filesystem::path& dir, const std::string& name,
               std::vector<std::string> args, std::vector<std::string> prefix = {})
      : log_(dir / ("viewer-" + name + ".jsonl")) {
    const auto tool = std::filesystem::path(CEREMONYD_BINARY).parent_path() / "bridge_viewer";
    if (!std::filesystem::exists(tool))
      throw std::runtime_error(tool.string() + " missing: build the bridge_viewer target");
    std::vector<std::string> argv = std::move(prefix);
    argv.push_back(tool.string());
    for (auto& a : args) argv.push_back(std::move(a));
    process_ =
        std::make_unique<Process>(argv, ProcessOptions{log_, dir / ("viewer-" + name + ".err")});
  }

  std::optional<int> waitFor(std::chrono::milliseconds limit) { return process_->waitFor(limit); }
  Process& process() { return *process_; }

  std::vector<nlohmann::json> lines() const {
    std::vector<nlohmann::json> out;
    std::istringstream in(readText(log_));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) out.push_back(std::move(j));
    }
    return out;
  }
  std::vector<nlohmann::json> events(const std::string& kind) const {
    std::vector<nlohmann::json> out;
    for (auto& j : lines())
      if (j.value("event", "") == kind) out.push_back(j);
    return out;
  }
  bool ready() const { return !events("ready").empty(); }
  std::size_t joined() const { return events("joined").size(); }
  std::vector<nlohmann::json> failures() const { return events("failed"); }
  // The latest stats line of viewer `index` (null when none came).
  nlohmann::json lastStats(int index = 0) const {
    nlohmann::json last;
    for (auto& j : events("stats"))
      if (j.value("viewer", -1) == index) last = j;
    return last;
  }
  std::string text() const { return readText(log_) + process_->errorLog(); }

 private:
  std::filesystem::path log_;
  std::unique_ptr<Process> process_;
};

}  // namespace ceremony::testing
