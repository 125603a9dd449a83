#include "app/Options.h"

#include "config/Config.h"
#include "config/Secrets.h"

#include <algorithm>
#include <charconv>
#include <iterator>

namespace ceremony {

std::string usage() {
  return R"(Cách dùng / usage: ceremonyd [--config FILE] [options]

  --config FILE        run the ceremony in FILE (TOML); without it, the embedded
                       Quảng Ngãi demo ceremony starts now, compressed 60×
  --check              validate the configuration and exit (0 ok, 1 problems, 2 unusable)
  --rehearsal[=SPEED]  move the timeline to start now, compressed SPEED× (default 1)
  --rtmp URL           add an RTMP/RTMPS destination (for rehearsals; the URL carries
                       no secret — real stream keys come from key_file or credentials)
  --exit-when-done     exit after the last item ends
  --state-dir DIR      where the daemon keeps what it needs to resume after a crash
                       or restart (the current item, operator adjustments)
  --fresh              ignore the saved state and start the ceremony over
  --report-dir DIR     where the results report is written when the last item ends and
                       at a stop (default: the state directory, which also holds the
                       journal the report is built from)
  --log-level LEVEL    trace, debug, info, warn, error (default info)
  --listen ADDR:PORT   where the control API and dashboard listen (default [api]
                       listen, else 127.0.0.1:8080; port 0 picks a free one)
  --operator-token-file FILE   the token that allows changes over the API
  --viewer-token-file FILE     the token that allows reading (else reads are open;
                       required when the API listens beyond loopback)
  --insecure           allow plain HTTP when the API listens beyond loopback (tokens and
                       contacts then cross the network in clear); without it, [api] must
                       name tls_certificate_file and tls_key_file there
  --help, --version
)";
}

ParsedOptions parseOptions(const std::vector<std::string>& args) {
  ParsedOptions out;
  Options& o = out.options;
  auto value = [&](std::size_t& i, const std::string& name) -> std::optional<std::string> {
    const std::string& a = args[i];
    if (a.size() > name.size() && a.compare(0, name.size() + 1, name + "=") == 0)
      return a.substr(name.size() + 1);
    if (i + 1 < args.size()) return args[++i];
    out.error = name + " needs a value";
    return std::nullopt;
  };
  auto is = [](const std::string& a, const std::string& name) {
    return a == name || a.rfind(name + "=", 0) == 0;
  };
  for (std::size_t i = 0; i < args.size() && out.error.empty(); ++i) {
    const std::string& a = args[i];
    if (is(a, "--config")) {
      if (auto v = value(i, "--config")) o.configPath = *v;
    } else if (a == "--check") {
      o.check = true;
    } else if (a == "--rehearsal") {
      o.rehearsalSpeed = 1.0;
    } else if (a.rfind("--rehearsal=", 0) == 0) {
      const std::string v = a.substr(12);
      double speed = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), speed);
      if (ec != std::errc() || p != v.data() + v.size() || speed < 1.0 || speed > 3600.0)
        out.error = "--rehearsal=SPEED needs a number from 1 to 3600, not «" + v + "»";
      else
        o.rehearsalSpeed = speed;
    } else if (is(a, "--rtmp")) {
      if (auto v = value(i, "--rtmp")) {
        if (v->rfind("rtmp://", 0) != 0 && v->rfind("rtmps://", 0) != 0)
          out.error = "--rtmp needs an rtmp:// or rtmps:// URL";
        else if (auto secret = secretOfRtmpArgument(*v))
          // Never echoed: it may be the key itself.
          out.error = "--rtmp URL carries " + *secret +
                      ", which anyone on this machine can read in `ps`; put the destination in "
                      "[[outputs]] with its key in key_file or key_credential";
        else
          o.rtmpUrls.push_back(*v);
      }
    } else if (a == "--insecure") {
      o.insecure = true;
    } else if (a == "--fresh") {
      o.fresh = true;
    } else if (a == "--exit-when-done") {
      o.exitWhenDone = true;
    } else if (is(a, "--state-dir")) {
      if (auto v = value(i, "--state-dir")) o.stateDir = *v;
    } else if (is(a, "--report-dir")) {
      if (auto v = value(i, "--report-dir")) o.reportDir = *v;
    } else if (is(a, "--listen")) {
      if (auto v = value(i, "--listen")) {
        if (!parseListenAddress(*v))
          out.error = "--listen needs ADDRESS:PORT, e.g. 127.0.0.1:8080, not «" + *v + "»";
        else
          o.listen = *v;
      }
    } else if (is(a, "--operator-token-file")) {
      if (auto v = value(i, "--operator-token-file")) o.operatorTokenFile = *v;
    } else if (is(a, "--viewer-token-file")) {
      if (auto v = value(i, "--viewer-token-file")) o.viewerTokenFile = *v;
    } else if (is(a, "--log-level")) {
      if (auto v = value(i, "--log-level")) {
        // spdlog takes an unknown name for "off": a typo must not silence the journal.
        static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical"};
        if (std::find(std::begin(kLevels), std::end(kLevels), *v) == std::end(kLevels)) {
          out.error = "--log-level needs one of trace, debug, info, warn, error, critical, not «" +
                      *v + "»";
        } else {
          o.logLevel = *v;
        }
      }
    } else if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--version") {
      o.version = true;
    } else {
      out.error = "unknown option «" + a + "» (see --help)";
    }
  }
  if (out.error.empty() && o.check && o.configPath.empty())
    out.error = "--check needs --config FILE";
  return out;
}

}  // namespace ceremony
