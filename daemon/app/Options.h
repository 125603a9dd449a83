#pragma once
// The command line of ceremonyd (its contract with systemd units and scripts).

#include <optional>
#include <string>
#include <vector>

namespace ceremony {

struct Options {
  std::string configPath;                // empty: the embedded demo ceremony
  bool check = false;                    // validate and exit 0/1/2
  std::optional<double> rehearsalSpeed;  // --rehearsal[=SPEED]: start now, compressed
  std::vector<std::string> rtmpUrls;     // --rtmp URL: extra destinations, no key
  bool exitWhenDone = false;             // leave after the last item (tests, recordings)
  std::string stateDir;                  // where resume state goes (systemd StateDirectory)
  bool fresh = false;                    // --fresh: ignore the saved state, start over
  std::string reportDir;                 // --report-dir: where the report goes (else stateDir)
  std::string logLevel = "info";
  std::string listen;             // --listen ADDR:PORT: overrides [api] listen
  std::string operatorTokenFile;  // --operator-token-file: overrides [api] operator_token_*
  std::string viewerTokenFile;    // --viewer-token-file: overrides [api] viewer_token_*
  bool insecure = false;          // --insecure: plain HTTP beyond loopback, said out loud
  bool help = false;
  bool version = false;
};

struct ParsedOptions {
  Options options;
  std::string error;  // plain sentence; empty when the command line is fine
};

ParsedOptions parseOptions(const std::vector<std::string>& args);
std::string usage();

// Demo speed: the embedded Quảng Ngãi programme (13:30–16:00) shows every item in 2.5 min.
inline constexpr double kDemoSpeed = 60.0;

}  // namespace ceremony
