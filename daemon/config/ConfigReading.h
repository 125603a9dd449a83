#pragma once
// What every table reader of ConfigParser shares: where a node was written (line:column),
// how a value is shown in a message, and Fields, the typed getters of one table that
// report a wrong type, a value out of range or a key nobody read. Internal to the parser.

#include <toml++/toml.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/Config.h"
#include "config/Diagnostics.h"

namespace ceremony::reading {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------
// Small pieces for messages

Position positionOf(const toml::source_region& r);
// Where a node was written. Tables made implicitly by dotted keys have no position of
// their own; the first thing inside them stands in.
Position positionOf(const toml::node& n);

std::string typeName(const toml::node& n);
// Text as the user wrote it, quoted, short and printable: messages must stay one line.
std::string inQuotes(std::string_view s);
// A value as the user wrote it: text in quotes, numbers and dates as they are.
std::string shown(const toml::node& n);
// "a, b or c"
std::string joinList(const std::vector<std::string_view>& words);

std::size_t editDistance(std::string_view a, std::string_view b);

// " (did you mean 'pattern'?)" when one known word is a likely typo of the unknown one.
template <typename Words>
std::string suggestion(std::string_view unknown, const Words& known) {
  std::string best;
  std::size_t bestDistance = SIZE_MAX;
  for (const auto& w : known) {
    std::size_t d = editDistance(unknown, w);
    if (d < bestDistance) {
      bestDistance = d;
      best = std::string(w);
    }
  }
  std::size_t limit = std::clamp<std::size_t>(unknown.size() / 3, 1, 3);
  if (best.empty() || bestDistance > limit) return {};
  return " (did you mean '" + best + "'?)";
}

// An id used in URLs and logs: letters, digits, '-' and '_', at most 64.
bool validId(std::string_view id);
// ASCII A–Z to a–z; nothing else changes.
std::string lower(std::string_view s);
bool isRegularFile(const fs::path& p);

// ---------------------------------------------------------------------------------------
// Vocabularies

bool contains(const std::vector<std::string_view>& list, std::string_view word);

// videotestsrc's pattern names (test sources and generated clips).
extern const std::vector<std::string_view> kTestPatterns;

// Keys each kind of a table reads, so a key of another kind is named as such.
struct KindKeys {
  std::string_view kind;
  std::vector<std::string_view> keys;
};

std::vector<std::string_view> kindNames(const std::vector<KindKeys>& kinds);

// ---------------------------------------------------------------------------------------
// One run over one file

struct Context {
  const std::string& file;
  fs::path baseDir;
  Diagnostics& diagnostics;

  void error(Position p, std::string message) {
    diagnostics.error(file, p.line, p.column, std::move(message));
  }
  void warning(Position p, std::string message) {
    diagnostics.warning(file, p.line, p.column, std::move(message));
  }
  fs::path resolve(const std::string& path) const {
    fs::path p(path);
    if (p.is_relative()) p = baseDir / p;
    return p.lexically_normal();
  }
};

// The keys of one table, read with type checks; what is left unread is reported.
class Fields {
 public:
  Fields(Context& ctx, const toml::table& table, std::string where)
      : ctx_(ctx), table_(table), where_(std::move(where)) {}

  Position pos() const { return positionOf(table_); }
  const std::string& where() const { return where_; }
  void setWhere(std::string where) { where_ = std::move(where); }
  bool has(std::string_view key) const { return table_.contains(key); }

  const toml::node* take(std::string_view key) {
    used_.insert(std::string(key));
    return table_.get(key);
  }

  void typeError(const toml::node& n, std::string_view key, std::string_view expected);

  std::optional<std::string> text(std::string_view key);
  // Text that must be there and not be empty.
  std::optional<std::string> requiredText(std::string_view key, std::string_view hint);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi);
  std::optional<double> number(std::string_view key);
  std::optional<bool> boolean(std::string_view key);

  // Warns about every key nobody read: a key of another kind, or probably a typo.
  void reportUnread(const std::vector<std::string_view>& common,
                    const std::vector<KindKeys>& kinds = {}, std::string_view kind = {});

 private:
  Context& ctx_;
  const toml::table& table_;
  std::string where_;
  std::set<std::string> used_;
};

// Entries of a table in the order they were written (toml::table keeps them sorted).
std::vector<std::pair<const toml::key*, const toml::node*>> inFileOrder(const toml::table& t);

// ---------------------------------------------------------------------------------------
// Shapes several tables share

// The node as a table; anything else is an error naming the shape expected.
const toml::table* expectTable(Context& ctx, const toml::node* n, std::string_view name,
                               std::string_view shape);

// The common start of [sources.x], [scenes.x], [outputs.x]: a table with a valid id and
// a known kind. Returns the kind, or nullopt when the entry cannot be read further.
std::optional<std::string> readKind(Context& ctx, Fields& f, const toml::key& key,
                                    std::string_view what, const std::vector<KindKeys>& kinds);

// Iterates [name.<id>] sub-tables in file order.
template <typename Fn>
void forEachEntry(Context& ctx, const toml::node* n, std::string_view name, Fn&& fn) {
  const toml::table* t = expectTable(ctx, n, "[" + std::string(name) + "]",
                                     "one [" + std::string(name) + ".<id>] table per entry");
  if (!t) return;
  for (auto [key, value] : inFileOrder(*t)) {
    const toml::table* entry = value->as_table();
    std::string where = "[" + std::string(name) + "." + std::string(key->str()) + "]";
    if (!entry) {
      ctx.error(positionOf(*value), where + " must be a table with kind = …, not " +
                                        typeName(*value) + " (" + shown(*value) + ")");
      continue;
    }
    fn(*key, *entry, where);
  }
}

// "5m", "90s", "1h30m", "00:05:00" or a number of seconds (at most a week).
std::optional<Millis> durationOf(Context& ctx, const toml::node& n, Fields& f,
                                 std::string_view key);

// A wall-clock time of day: "14:00" / "14:00:30" / "14h00" text or a TOML local time.
std::optional<Millis> clockOf(Context& ctx, const toml::node& n, Fields& f, std::string_view key);

}  // namespace ceremony::reading
