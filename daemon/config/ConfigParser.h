#pragma once
// Reads a ceremony's TOML file (schema: config/README.md) into Config and checks it the
// way the technical team needs the day before: every problem with file:line:column and a
// plain sentence. Never throws and never crashes, whatever the input.

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "config/Config.h"
#include "config/Diagnostics.h"

namespace ceremony {

struct LoadResult {
  // Set whenever the file is usable: no errors (warnings allowed).
  std::optional<Config> config;
  Diagnostics diagnostics;
};

// Reads and validates a file. Relative media and key paths resolve against the file's folder.
LoadResult loadConfigFile(const std::filesystem::path& path);

// Parses text; displayName is what messages call the file; baseDir resolves relative paths.
LoadResult parseConfigText(std::string_view text, const std::string& displayName,
                           const std::filesystem::path& baseDir);

// `ceremonyd --check --config FILE`: prints every diagnostic, then a one-line summary in
// Vietnamese and English; returns the exit status (0 ok, 1 problems, 2 unusable).
int checkConfigMain(const std::filesystem::path& path, std::ostream& out);

}  // namespace ceremony
