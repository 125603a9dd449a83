#pragma once
// `ceremonyctl report`: the results report from the running daemon (GET /api/report), or
// from a journal file when the daemon is gone, written as files, and printed to PDF by
// headless Chromium where it is installed.

#include <functional>
#include <string>

namespace ceremony::ctl {

struct Fetched {
  long status = 0;
  std::string body;
  std::string error;  // the daemon could not be reached
};

struct ReportArgs {
  std::string dir = ".";  // --report-dir
  std::string journal;    // --journal FILE: build it here, without the daemon
  bool pdf = false;       // --pdf
  bool json = false;      // --json: the figures as JSON on stdout (the files' names on stderr)
};

// Exit code as ceremonyctl's: 0 written, 1 refused or a file could not be written, 3 the
// daemon could not be reached or answered badly.
int reportCommand(const ReportArgs& args, const std::function<Fetched(const std::string&)>& get);

}  // namespace ceremony::ctl
