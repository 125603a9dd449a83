#pragma once
// tests/tools/whip_sender (a WHIP encoder: a colour with a moving ball and a tone, or a
// pre-encoded file) in a process of its own, and what it printed, read back.

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/Common.h"
#include "support/Process.h"

namespace ceremony::testing {

// tests/tools/whip_sender in a process of its own; what it printed, read back.
class WhipSender {
 public:
  WhipSender(const std::filesystem::path& dir, const std::string& name,
             std::vector<std::string> args)
      : out_(dir / ("whip-" + name + ".out")), err_(dir / ("whip-" + name + ".err")) {
    const auto tool = std::filesystem::path(CEREMONYD_BINARY).parent_path() / "whip_sender";
    if (!std::filesystem::exists(tool))
      throw std::runtime_error(tool.string() + " missing: build the whip_sender target");
    args.insert(args.begin(), tool.string());
    process_ = std::make_unique<Process>(args, ProcessOptions{out_, err_});
  }
  // The session's path once it sends ("" if it did not within `limit`).
  std::string waitSending(std::chrono::milliseconds limit) {
    using Steady = std::chrono::steady_clock;
    using namespace std::chrono_literals;
    const auto until = Steady::now() + limit;
    const std::string mark = " session ";
    for (;;) {
      const std::string out = readText(out_);
      const auto line = out.find("whip_sender: sending ");
      const auto at = out.find(mark, line == std::string::npos ? out.size() : line);
      if (at != std::string::npos && out.find('\n', at) != std::string::npos)
        return out.substr(at + mark.size(), out.find('\n', at) - at - mark.size());
      if (Steady::now() > until || !process_->running()) return "";
      std::this_thread::sleep_for(20ms);
    }
  }
  Process& process() { return *process_; }
  std::string output() const { return readText(out_) + readText(err_); }

 private:
  std::filesystem::path out_, err_;
  std::unique_ptr<Process> process_;
};

}  // namespace ceremony::testing
