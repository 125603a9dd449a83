#pragma once
// The kinds of probe the configuration may name, with what each kind needs.
// Adding a kind (e.g. "srt" caller statistics) is one entry in the table in
// ProbeKinds.cpp plus its prober; config and CSV validation pick it up from here.

#include <string>
#include <string_view>
#include <vector>

#include "health/HealthConfig.h"

namespace ceremony::health {

struct ProbeKindRule {
  std::string_view kind;
  std::string_view example;  // shown in messages: what a valid target looks like
  // Empty when the spec is usable; otherwise a plain sentence for the user.
  std::string (*check)(const ProbeSpec& spec);
  // Fills spec.url / host / port from the CSV column url_or_host; same sentence rule.
  std::string (*fromTarget)(std::string_view target, ProbeSpec& spec);
};

const ProbeKindRule* findProbeKind(std::string_view kind);
std::vector<std::string_view> probeKindNames();
std::string probeKindList();  // "http, https, tcp, heartbeat" for messages

// Checks `spec` against its kind; empty when fine, else the sentence to report.
std::string checkProbeSpec(const ProbeSpec& spec);

}  // namespace ceremony::health
