#pragma once
// ceremonyctl's tables: columns that line up with Vietnamese text.

#include <cstddef>
#include <string>
#include <vector>

namespace ceremony::ctl {

// Columns the text takes: code points, not bytes (combining marks take none).
std::size_t width(const std::string& s);
std::string pad(const std::string& s, std::size_t n);
// At most n columns, "…" in the last when cut.
std::string clip(const std::string& s, std::size_t n);
// The heading and the rows, two spaces between columns, one line each.
std::string table(const std::vector<std::string>& head,
                  const std::vector<std::vector<std::string>>& rows);

}  // namespace ceremony::ctl
