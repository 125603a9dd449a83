#pragma once
// Reads the connection points ([[points]] or points_csv) and the [health] settings
// out of a parsed configuration file. Called by the config parser.

#include <toml++/toml.h>

#include <filesystem>
#include <string>

#include "config/Diagnostics.h"
#include "health/HealthConfig.h"

namespace ceremony::health {

void parseHealthSection(const toml::table& root, const std::string& file,
                        const std::filesystem::path& baseDir, HealthConfig& out,
                        Diagnostics& diagnostics);

}  // namespace ceremony::health
