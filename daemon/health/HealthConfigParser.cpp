#include "health/HealthConfigParser.h"

namespace ceremony::health {

void parseHealthSection(const toml::table&, const std::string&, const std::filesystem::path&,
                        HealthConfig&, Diagnostics&) {}

}  // namespace ceremony::health
