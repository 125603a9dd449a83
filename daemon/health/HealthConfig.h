#pragma once
// Connection-point registry and probing settings (issue 3 fills this in).

#include <string>
#include <vector>

namespace ceremony::health {

struct HealthConfig {
  std::string pointsCsv;  // optional CSV file with the point list
};

}  // namespace ceremony::health
