#include "config/ConfigReading.h"

#include <climits>
#include <cstdio>
#include <sstream>

#include "config/TimeSpec.h"

namespace ceremony::reading {

namespace {

int clampIndex(toml::source_index i) {
  return i > static_cast<toml::source_index>(INT_MAX) ? INT_MAX : static_cast<int>(i);
}

}  // namespace

Position positionOf(const toml::source_region& r) {
  return {clampIndex(r.begin.line), clampIndex(r.begin.column)};
}

Position positionOf(const toml::node& n) {
  Position p = positionOf(n.source());
  if (p.line > 0) return p;
  if (const auto* t = n.as_table()) {
    Position best{};
    for (auto&& [k, v] : *t) {
      Position kp = positionOf(k.source());
      if (kp.line > 0 && (best.line == 0 || kp.line < best.line ||
                          (kp.line == best.line && kp.column < best.column)))
        best = kp;
    }
    return best;
  }
  return p;
}

std::string typeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "text";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number with a fraction";
    case toml::node_type::boolean:
      return "true/false";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time of day";
    case toml::node_type::date_time:
      return "a date and time";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "a list";
    default:
      return "nothing";
  }
}

std::string inQuotes(std::string_view s) {
  constexpr std::size_t kMax = 80;
  std::string out = "\"";
  std::size_t i = 0;
  for (; i < s.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (i < s.size()) {
    // Cut on a UTF-8 character boundary so the message stays valid text.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "…";
  }
  out += "\"";
  return out;
}

std::string shown(const toml::node& n) {
  std::ostringstream o;
  if (const auto* s = n.as_string()) return inQuotes(s->get());
  if (const auto* i = n.as_integer()) return std::to_string(i->get());
  if (const auto* f = n.as_floating_point()) {
    o << f->get();
    return o.str();
  }
  if (const auto* b = n.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* d = n.as_date()) {
    o << *d;
    return o.str();
  }
  if (const auto* t = n.as_time()) {
    o << *t;
    return o.str();
  }
  if (const auto* dt = n.as_date_time()) {
    o << *dt;
    return o.str();
  }
  return typeName(n);
}

std::string joinList(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  if (a.size() > 64 || b.size() > 64) return SIZE_MAX;
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

bool validId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool isRegularFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool contains(const std::vector<std::string_view>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

const std::vector<std::string_view> kTestPatterns = {"smpte",
                                                     "snow",
                                                     "black",
                                                     "white",
                                                     "red",
                                                     "green",
                                                     "blue",
                                                     "checkers-1",
                                                     "checkers-2",
                                                     "checkers-4",
                                                     "checkers-8",
                                                     "circular",
                                                     "blink",
                                                     "smpte75",
                                                     "zone-plate",
                                                     "gamut",
                                                     "chroma-zone-plate",
                                                     "solid-color",
                                                     "ball",
                                                     "smpte100",
                                                     "bar",
                                                     "pinwheel",
                                                     "spokes",
                                                     "gradient",
                                                     "colors",
                                                     "smpte-rp-219"};

std::vector<std::string_view> kindNames(const std::vector<KindKeys>& kinds) {
  std::vector<std::string_view> out;
  for (const auto& k : kinds) out.push_back(k.kind);
  return out;
}

void Fields::typeError(const toml::node& n, std::string_view key, std::string_view expected) {
  ctx_.error(positionOf(n), where_ + " " + std::string(key) + " must be " + std::string(expected) +
                                ", not " + typeName(n) + " (" + shown(n) + ")");
}

std::optional<std::string> Fields::text(std::string_view key) {
  const toml::node* n = take(key);
  if (!n) return std::nullopt;
  if (const auto* s = n->as_string()) return s->get();
  typeError(*n, key, "text in quotes");
  return std::nullopt;
}

std::optional<std::string> Fields::requiredText(std::string_view key, std::string_view hint) {
  if (!has(key)) {
    ctx_.error(pos(), where_ + " has no " + std::string(key) + std::string(hint));
    take(key);
    return std::nullopt;
  }
  auto v = text(key);
  if (v && v->empty()) {
    ctx_.error(positionOf(*table_.get(key)), where_ + " " + std::string(key) + " is empty");
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> Fields::integer(std::string_view key, std::int64_t lo,
                                            std::int64_t hi) {
  const toml::node* n = take(key);
  if (!n) return std::nullopt;
  const auto* i = n->as_integer();
  if (!i) {
    typeError(*n, key, "a whole number");
    return std::nullopt;
  }
  if (i->get() < lo || i->get() > hi) {
    ctx_.error(positionOf(*n), where_ + " " + std::string(key) + " must be between " +
                                   std::to_string(lo) + " and " + std::to_string(hi) + ", not " +
                                   std::to_string(i->get()));
    return std::nullopt;
  }
  return i->get();
}

std::optional<double> Fields::number(std::string_view key) {
  const toml::node* n = take(key);
  if (!n) return std::nullopt;
  if (const auto* i = n->as_integer()) return static_cast<double>(i->get());
  if (const auto* f = n->as_floating_point()) return f->get();
  typeError(*n, key, "a number");
  return std::nullopt;
}

std::optional<bool> Fields::boolean(std::string_view key) {
  const toml::node* n = take(key);
  if (!n) return std::nullopt;
  if (const auto* b = n->as_boolean()) return b->get();
  typeError(*n, key, "true or false");
  return std::nullopt;
}

void Fields::reportUnread(const std::vector<std::string_view>& common,
                          const std::vector<KindKeys>& kinds, std::string_view kind) {
  std::vector<std::string_view> known = common;
  for (const auto& k : kinds) known.insert(known.end(), k.keys.begin(), k.keys.end());
  for (auto&& [k, v] : table_) {
    std::string key(k.str());
    if (used_.count(key)) continue;
    std::string owner;
    for (const auto& kk : kinds)
      if (contains(kk.keys, key)) owner = std::string(kk.kind);
    if (!owner.empty() && !kind.empty()) {
      ctx_.warning(positionOf(k.source()), where_ + " " + key + " does nothing for kind " +
                                               inQuotes(kind) + " (it belongs to kind " +
                                               inQuotes(owner) + "); it is ignored");
    } else {
      ctx_.warning(positionOf(k.source()), where_ + " has an unknown key '" + key +
                                               "', probably a typo" + suggestion(key, known) +
                                               "; it is ignored");
    }
  }
}

std::vector<std::pair<const toml::key*, const toml::node*>> inFileOrder(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (auto&& [k, v] : t) out.emplace_back(&k, &v);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    Position pa = positionOf(*a.second), pb = positionOf(*b.second);
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return out;
}

const toml::table* expectTable(Context& ctx, const toml::node* n, std::string_view name,
                               std::string_view shape) {
  if (!n) return nullptr;
  if (const auto* t = n->as_table()) return t;
  ctx.error(positionOf(*n), std::string(name) + " must be a table (" + std::string(shape) +
                                "), not " + typeName(*n));
  return nullptr;
}

std::optional<std::string> readKind(Context& ctx, Fields& f, const toml::key& key,
                                    std::string_view what, const std::vector<KindKeys>& kinds) {
  std::string id(key.str());
  if (!validId(id))
    ctx.error(positionOf(key.source()),
              std::string(what) + " id " + inQuotes(id) +
                  " may only use letters a–z, digits, '-' and '_' (it is used in URLs and "
                  "logs)");
  if (!f.has("kind")) {
    ctx.error(f.pos(), f.where() + " has no kind; use one of " + joinList(kindNames(kinds)));
    return std::nullopt;
  }
  auto kind = f.text("kind");
  if (!kind) return std::nullopt;
  auto names = kindNames(kinds);
  if (!contains(names, *kind)) {
    ctx.error(positionOf(*f.take("kind")), f.where() + " kind " + inQuotes(*kind) + " is not a " +
                                               std::string(what) + " kind; use one of " +
                                               joinList(names) + suggestion(*kind, names));
    return std::nullopt;
  }
  return kind;
}

std::optional<Millis> durationOf(Context& ctx, const toml::node& n, Fields& f,
                                 std::string_view key) {
  if (const auto* i = n.as_integer()) {
    if (i->get() >= 0 && i->get() <= 7 * 24 * 3600) return Millis{i->get() * 1000};
  } else if (const auto* d = n.as_floating_point()) {
    if (d->get() >= 0 && d->get() <= 7 * 24 * 3600)
      return Millis{static_cast<std::int64_t>(d->get() * 1000)};
  } else if (const auto* s = n.as_string()) {
    if (auto v = parseDuration(s->get())) return v;
  } else {
    f.typeError(n, key, "a duration like \"5m\", \"90s\", \"1h30m\" or a number of seconds");
    return std::nullopt;
  }
  ctx.error(positionOf(n), f.where() + " " + std::string(key) + " " + shown(n) +
                               " is not a duration; write it like \"5m\", \"90s\", "
                               "\"1h30m\", \"00:05:00\" or a number of seconds");
  return std::nullopt;
}

std::optional<Millis> clockOf(Context& ctx, const toml::node& n, Fields& f, std::string_view key) {
  if (const auto* t = n.as_time()) {
    const toml::time& v = t->get();
    return Millis{((v.hour * 60LL + v.minute) * 60 + v.second) * 1000 + v.nanosecond / 1000000};
  }
  if (const auto* s = n.as_string()) {
    if (auto v = parseClockTime(s->get())) return v;
    ctx.error(positionOf(n), f.where() + " " + std::string(key) + " " + inQuotes(s->get()) +
                                 " is not a time of day; write it like \"14:00\" or "
                                 "\"14:00:30\"");
    return std::nullopt;
  }
  f.typeError(n, key, "a time of day like \"14:00\"");
  return std::nullopt;
}

}  // namespace ceremony::reading
