#pragma once
// Checks of one point's fields shared by the CSV reader and the TOML parser, so a
// point is judged the same wherever it was written. Each check returns an empty
// string when the value is fine, else a plain sentence for the user.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/Diagnostics.h"
#include "health/HealthConfig.h"

namespace ceremony::health {

// "xã" | "phường" | "đặc khu"; also accepts capitalised and unaccented spellings
// ("Xã", "xa", "Phuong", "Đặc khu", "dac khu", "dac_khu").
std::optional<std::string> canonicalPointKind(std::string_view text);

// Ids appear in URLs, metric labels and logs: ASCII letters, digits, '-', '_', '.'.
std::string checkPointId(std::string_view id);

// Vietnamese numbers: 9–12 digits, optional leading '+', spaces, dots, dashes and
// parentheses allowed between them ("0255 3822 123", "+84 912 345 678"). Empty is fine.
std::string checkPhone(std::string_view phone);

// True when `text` is valid UTF-8 (spreadsheets saved as "ANSI" are not).
bool isUtf8(std::string_view text);

// Gives every unnamed probe a name: its kind, then "kind-2", "kind-3" for repeats.
// Returns a sentence when two probes were given the same explicit name.
std::string nameProbes(std::vector<ProbeSpec>& probes);

// Duplicate ids across the whole list (CSV + TOML): one error per repeat, naming
// where the first one was.
void checkUniqueIds(const std::vector<PointConfig>& points, Diagnostics& diagnostics);

}  // namespace ceremony::health
