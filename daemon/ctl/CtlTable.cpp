#include "ctl/CtlTable.h"

#include <algorithm>

namespace ceremony::ctl {

namespace {

// The length of the UTF-8 sequence starting with c, and its code point in cp.
std::size_t codePoint(const std::string& s, std::size_t i, unsigned& cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
  cp = c;
  if (len == 2 && i + 1 < s.size()) cp = ((c & 0x1f) << 6) | (s[i + 1] & 0x3f);
  return len;
}

bool combining(unsigned cp) {
  return cp >= 0x300 && cp <= 0x36f;
}

}  // namespace

std::size_t width(const std::string& s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    unsigned cp = 0;
    i += codePoint(s, i, cp);
    if (!combining(cp)) ++w;
  }
  return w;
}

std::string pad(const std::string& s, std::size_t n) {
  const std::size_t w = width(s);
  return w >= n ? s : s + std::string(n - w, ' ');
}

std::string clip(const std::string& s, std::size_t n) {
  if (n == 0 || width(s) <= n) return s;
  std::size_t w = 0, i = 0;
  while (i < s.size()) {
    unsigned cp = 0;
    const std::size_t len = codePoint(s, i, cp);
    if (!combining(cp) && ++w == n) break;  // room for "…" only
    i += len;
  }
  return s.substr(0, std::min(i, s.size())) + "…";
}

std::string table(const std::vector<std::string>& head,
                  const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) w[i] = width(head[i]);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], width(r[i]));
  std::string out;
  auto line = [&](const std::vector<std::string>& r) {
    std::string l;
    for (std::size_t i = 0; i < r.size(); ++i)
      l += (i ? "  " : "") + (i + 1 == r.size() ? r[i] : pad(r[i], w[i]));
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(head);
  for (const auto& r : rows) line(r);
  return out;
}

}  // namespace ceremony::ctl
