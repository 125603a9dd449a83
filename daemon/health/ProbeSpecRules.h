#pragma once
// What the configuration must say for each kind of probe, checked when the config or
// the CSV is read (so `ceremonyd --check` catches it, not the first probe round).
//
// Which kinds exist is decided by the prober registry, ProbeKinds::builtin() (Probes.h):
// a new kind registered there is accepted here with the generic checks (timeouts).
// A rule in this file adds kind-specific checks and how to read the CSV column
// url_or_host; it is optional for a new kind.

#include <string>
#include <string_view>

#include "health/HealthConfig.h"

namespace ceremony::health {

struct ProbeSpecRule {
  std::string_view kind;
  // Empty when the spec is usable; otherwise a plain sentence for the user.
  std::string (*check)(const ProbeSpec& spec);
  // Fills spec.url / host / port from the CSV column url_or_host; same sentence rule.
  std::string (*fromTarget)(std::string_view target, ProbeSpec& spec);
};

bool probeKindExists(std::string_view kind);
std::string probeKindList();  // "heartbeat, http, https, tcp" for messages
const ProbeSpecRule* findProbeSpecRule(std::string_view kind);

// Reads the CSV column url_or_host into `spec` by its kind's rule (a kind without a
// rule takes it as a URL). Empty when fine, else the sentence to report.
std::string readProbeTarget(std::string_view target, ProbeSpec& spec);

// Checks `spec` against its kind; empty when fine, else the sentence to report.
std::string checkProbeSpec(const ProbeSpec& spec);

}  // namespace ceremony::health
