#pragma once
// What the configuration must say for each kind of probe, checked when the config or
// the CSV is read (so `ceremonyd --check` catches it, not the first probe round).
//
// The kinds that exist are the ones with a rule here: a rule says what the kind needs
// (checks on top of the timeouts) and how to read the CSV column url_or_host. The prober
// registry on the network side, ProbeKinds::builtin() (health/net/Probes.h), makes a
// probe for each of them; a unit test keeps the two lists the same, so this file, like
// the rest of the pure core, needs no network library.

#include <string>
#include <string_view>
#include <vector>

#include "health/HealthConfig.h"

namespace ceremony::health {

struct ProbeSpecRule {
  std::string_view kind;
  // Empty when the spec is usable; otherwise a plain sentence for the user.
  std::string (*check)(const ProbeSpec& spec);
  // Fills spec.url / host / port from the CSV column url_or_host; same sentence rule.
  std::string (*fromTarget)(std::string_view target, ProbeSpec& spec);
};

std::vector<std::string_view> probeKinds();  // sorted
bool probeKindExists(std::string_view kind);
std::string probeKindList();  // "bridge, heartbeat, http, https, tcp" for messages
const ProbeSpecRule* findProbeSpecRule(std::string_view kind);

// Reads the CSV column url_or_host into `spec` by its kind's rule (a kind without a
// rule takes it as a URL). Empty when fine, else the sentence to report.
std::string readProbeTarget(std::string_view target, ProbeSpec& spec);

// Checks `spec` against its kind; empty when fine, else the sentence to report.
std::string checkProbeSpec(const ProbeSpec& spec);

}  // namespace ceremony::health
