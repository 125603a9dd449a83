#include "health/PointFields.h"

#include <map>
#include <set>

namespace ceremony::health {

namespace {

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::optional<std::string> canonicalPointKind(std::string_view text) {
  std::string k = lowerAscii(trimmed(text));
  // "Đ" (U+0110) → "đ" (U+0111): the only capital in these words outside ASCII.
  for (std::size_t i = 0; (i = k.find("\xC4\x90", i)) != std::string::npos;) k[i + 1] = '\x91';
  for (auto& c : k)
    if (c == '_' || c == '-') c = ' ';
  if (k == "xã" || k == "xa") return "xã";
  if (k == "phường" || k == "phuong") return "phường";
  if (k == "đặc khu" || k == "dac khu") return "đặc khu";
  return std::nullopt;
}

std::string checkPointId(std::string_view id) {
  if (id.empty()) return "thiếu mã điểm cầu (missing id)";
  if (id.size() > 64) return "mã điểm cầu dài quá 64 ký tự (id too long)";
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok)
      return "mã điểm cầu \"" + std::string(id) +
             "\" chỉ được dùng chữ không dấu, số, '-', '_' hoặc '.' (bad id)";
  }
  return {};
}

std::string checkPhone(std::string_view phone) {
  int digits = 0;
  for (std::size_t i = 0; i < phone.size(); ++i) {
    char c = phone[i];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '+' && digits == 0 && phone.find_first_not_of(" ") == i) {
    } else if (c != ' ' && c != '.' && c != '-' && c != '(' && c != ')') {
      return "số điện thoại \"" + std::string(phone) +
             "\" có ký tự không phải chữ số (bad phone number)";
    }
  }
  if (phone.empty()) return {};
  if (digits < 9 || digits > 12)
    return "số điện thoại \"" + std::string(phone) + "\" có " + std::to_string(digits) +
           " chữ số; cần 9–12 (bad phone number)";
  return {};
}

bool isUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    int extra = 0;
    unsigned min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      min = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    unsigned cp = c & (0x3F >> extra);
    for (int j = 1; j <= extra; ++j) {
      auto d = static_cast<unsigned char>(s[i + j]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::string nameProbes(std::vector<ProbeSpec>& probes) {
  std::set<std::string> taken;
  for (const auto& p : probes) {
    if (p.name.empty()) continue;
    if (!taken.insert(p.name).second)
      return "hai phép thử cùng tên \"" + p.name + "\" (duplicate probe name)";
  }
  for (auto& p : probes) {
    if (!p.name.empty()) continue;
    std::string name = p.kind;
    for (int n = 2; taken.count(name); ++n) name = p.kind + "-" + std::to_string(n);
    p.name = name;
    taken.insert(name);
  }
  return {};
}

void checkUniqueIds(const std::vector<PointConfig>& points, Diagnostics& diagnostics) {
  std::map<std::string, const PointConfig*> first;
  for (const auto& p : points) {
    auto [it, fresh] = first.emplace(p.id, &p);
    if (fresh) continue;
    const Origin& o = it->second->origin;
    diagnostics.error(p.origin.file, p.origin.line, p.origin.column,
                      "mã điểm cầu \"" + p.id + "\" bị trùng, đã có ở " + o.file + ":" +
                          std::to_string(o.line) + " (duplicate id)");
  }
}

}  // namespace ceremony::health
