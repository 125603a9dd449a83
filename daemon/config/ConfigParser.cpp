#include "config/ConfigParser.h"

#include "config/PercentEncoding.h"

#include <arpa/inet.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <fstream>
#include <iterator>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <vector>

#include "config/Secrets.h"
#include "config/TimeSpec.h"
#include "health/HealthConfigParser.h"

namespace ceremony {

namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

constexpr std::uintmax_t kMaxConfigBytes = 8u << 20;
constexpr auto kFacebookMaxLive = std::chrono::hours{8};

// ---------------------------------------------------------------------------------------
// Small pieces for messages

int clampIndex(toml::source_index i) {
  return i > static_cast<toml::source_index>(INT_MAX) ? INT_MAX : static_cast<int>(i);
}

Position positionOf(const toml::source_region& r) {
  return {clampIndex(r.begin.line), clampIndex(r.begin.column)};
}

// Where a node was written. Tables made implicitly by dotted keys have no position of
// their own; the first thing inside them stands in.
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

// Text as the user wrote it, quoted, short and printable: messages must stay one line.
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

bool validId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

bool isHexColour(std::string_view s) {
  if (s.size() != 7 && s.size() != 9) return false;
  if (s[0] != '#') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// ---------------------------------------------------------------------------------------
// Vocabularies

const std::vector<std::string_view> kTopLevel = {"event",   "programme",  "sources", "scenes",
                                                 "outputs", "timeline",   "health",  "points",
                                                 "api",     "points_csv", "bridge"};

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

const std::vector<std::string_view> kUriSchemes = {"srt", "rtsp", "rtmp", "rtmps",
                                                   "udp", "file", "http", "https"};

const std::vector<std::string_view> kX264Presets = {
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"};

const std::vector<std::string_view> kInsetPositions = {"top-left", "top-right", "bottom-left",
                                                       "bottom-right"};

bool contains(const std::vector<std::string_view>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

// Keys each kind of a table reads, so a key of another kind is named as such.
struct KindKeys {
  std::string_view kind;
  std::vector<std::string_view> keys;
};

const std::vector<KindKeys> kSourceKinds = {{"test", {"pattern", "tone_hz"}},
                                            {"uri", {"uri", "signal_timeout"}},
                                            {"image", {"path"}},
                                            {"launch", {"video", "audio", "signal_timeout"}}};
const std::vector<KindKeys> kSceneKinds = {{"source", {"source"}},
                                           {"slate", {"text", "countdown_to", "background"}},
                                           {"clip", {"file", "test_pattern", "test_duration"}},
                                           {"pip", {"main", "inset", "position"}},
                                           {"side_by_side", {"left", "right"}}};
const std::vector<KindKeys> kOutputKinds = {
    {"rtmp", {"url", "key_file", "key_credential", "tls_validation", "key_required"}},
    {"record", {"directory", "segment"}}};

std::vector<std::string_view> kindNames(const std::vector<KindKeys>& kinds) {
  std::vector<std::string_view> out;
  for (const auto& k : kinds) out.push_back(k.kind);
  return out;
}

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

std::string toLowerAscii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool isRegularFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

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

  void typeError(const toml::node& n, std::string_view key, std::string_view expected) {
    ctx_.error(positionOf(n), where_ + " " + std::string(key) + " must be " +
                                  std::string(expected) + ", not " + typeName(n) + " (" + shown(n) +
                                  ")");
  }

  std::optional<std::string> text(std::string_view key) {
    const toml::node* n = take(key);
    if (!n) return std::nullopt;
    if (const auto* s = n->as_string()) return s->get();
    typeError(*n, key, "text in quotes");
    return std::nullopt;
  }

  // Text that must be there and not be empty.
  std::optional<std::string> requiredText(std::string_view key, std::string_view hint) {
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

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi) {
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

  std::optional<double> number(std::string_view key) {
    const toml::node* n = take(key);
    if (!n) return std::nullopt;
    if (const auto* i = n->as_integer()) return static_cast<double>(i->get());
    if (const auto* f = n->as_floating_point()) return f->get();
    typeError(*n, key, "a number");
    return std::nullopt;
  }

  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = take(key);
    if (!n) return std::nullopt;
    if (const auto* b = n->as_boolean()) return b->get();
    typeError(*n, key, "true or false");
    return std::nullopt;
  }

  // Warns about every key nobody read: a key of another kind, or probably a typo.
  void reportUnread(const std::vector<std::string_view>& common,
                    const std::vector<KindKeys>& kinds = {}, std::string_view kind = {}) {
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

 private:
  Context& ctx_;
  const toml::table& table_;
  std::string where_;
  std::set<std::string> used_;
};

// Entries of a table in the order they were written (toml::table keeps them sorted).
std::vector<std::pair<const toml::key*, const toml::node*>> inFileOrder(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (auto&& [k, v] : t) out.emplace_back(&k, &v);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    Position pa = positionOf(*a.second), pb = positionOf(*b.second);
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return out;
}

class ConfigReader {
 public:
  ConfigReader(Context& ctx, Config& config) : ctx_(ctx), config_(config) {}

  void read(const toml::table& root) {
    checkTopLevel(root);
    readEvent(root.get("event"));
    readProgramme(root.get("programme"));
    readSources(root.get("sources"));
    readScenes(root.get("scenes"));
    readOutputs(root.get("outputs"));
    readTimeline(root.get("timeline"));
    planTimeline();
    readApi(root.get("api"));
    readBridge(root.get("bridge"));
  }

 private:
  // -------------------------------------------------------------------------------------
  void checkTopLevel(const toml::table& root) {
    for (auto&& [k, v] : root) {
      std::string key(k.str());
      if (contains(kTopLevel, key)) continue;
      if (v.is_table() || v.is_array_of_tables())
        ctx_.warning(positionOf(k.source()), "unknown table [" + key + "], probably a typo" +
                                                 suggestion(key, kTopLevel) + "; it is ignored");
      else
        ctx_.warning(positionOf(k.source()), "unknown key '" + key +
                                                 "' at the top of the file, probably a typo" +
                                                 suggestion(key, kTopLevel) + "; it is ignored");
    }
  }

  const toml::table* expectTable(const toml::node* n, std::string_view name,
                                 std::string_view shape) {
    if (!n) return nullptr;
    if (const auto* t = n->as_table()) return t;
    ctx_.error(positionOf(*n), std::string(name) + " must be a table (" + std::string(shape) +
                                   "), not " + typeName(*n));
    return nullptr;
  }

  // -------------------------------------------------------------------------------------
  void readEvent(const toml::node* n) {
    if (!n) {
      ctx_.error({}, "there is no [event] table: give the ceremony's title and date");
      date_ = Date{};
      return;
    }
    const toml::table* t = expectTable(n, "[event]", "[event] with title = … and date = …");
    if (!t) {
      date_ = Date{};
      return;
    }
    Fields f(ctx_, *t, "[event]");
    EventInfo& e = config_.event;
    if (auto v = f.requiredText("title", " (the ceremony's name, shown on slates)")) e.title = *v;
    if (auto v = f.text("venue")) e.venue = *v;

    if (const toml::node* d = f.take("date")) {
      if (const auto* s = d->as_string()) {
        date_ = parseDate(s->get());
        if (!date_)
          ctx_.error(positionOf(*d), "[event] date " + inQuotes(s->get()) +
                                         " is not a date; write it as \"2025-07-28\"");
        else
          e.date = s->get();
      } else if (const auto* dv = d->as_date()) {
        const toml::date& td = dv->get();
        std::chrono::year_month_day ymd{std::chrono::year{td.year}, std::chrono::month{td.month},
                                        std::chrono::day{td.day}};
        if (ymd.ok()) {
          date_ = Date{ymd};
          char buf[16];
          std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(td.year),
                        static_cast<unsigned>(td.month), static_cast<unsigned>(td.day));
          e.date = buf;
        } else {
          ctx_.error(positionOf(*d), "[event] date " + shown(*d) + " is not a real day");
        }
      } else {
        f.typeError(*d, "date", "a date like \"2025-07-28\"");
      }
    } else {
      ctx_.error(f.pos(),
                 "[event] has no date (write date = \"2025-07-28\"); the timeline's "
                 "clock times are on that day");
    }
    if (!date_) date_ = Date{};  // keep checking the rest; the error is already reported

    if (const toml::node* z = f.take("timezone")) {
      if (const auto* s = z->as_string()) {
        if (auto off = parseUtcOffset(s->get()))
          e.utcOffsetMinutes = *off;
        else
          ctx_.error(positionOf(*z), "[event] timezone " + inQuotes(s->get()) +
                                         " is not a UTC offset; write it as \"+07:00\"");
      } else {
        f.typeError(*z, "timezone", "a UTC offset like \"+07:00\"");
      }
    }
    f.reportUnread({"title", "date", "timezone", "venue"});
  }

  // -------------------------------------------------------------------------------------
  void readProgramme(const toml::node* n) {
    const toml::table* t = expectTable(n, "[programme]", "[programme] with width = … etc.");
    if (!t) return;
    Fields f(ctx_, *t, "[programme]");
    ProgrammeFormat& p = config_.format;
    if (auto v = f.integer("width", 16, 7680)) p.width = static_cast<int>(*v);
    if (auto v = f.integer("height", 16, 4320)) p.height = static_cast<int>(*v);
    for (auto [key, value] : {std::pair{"width", p.width}, std::pair{"height", p.height}}) {
      if (value % 2 != 0)
        ctx_.error(positionOf(*t->get(key)), "[programme] " + std::string(key) + " " +
                                                 std::to_string(value) +
                                                 " must be even (H.264 4:2:0 needs it)");
    }
    if (auto v = f.integer("fps", 1, 120)) {
      p.fps = static_cast<int>(*v);
      if (p.fps != 25 && p.fps != 30 && p.fps != 50 && p.fps != 60)
        ctx_.warning(positionOf(*t->get("fps")),
                     "[programme] fps " + std::to_string(p.fps) +
                         " is unusual; Facebook Live expects 25, 30, 50 or 60");
    }
    if (auto v = f.integer("video_bitrate_kbps", 100, 60000)) p.videoBitrateKbps = *v;
    {
      Position bp =
          t->get("video_bitrate_kbps") ? positionOf(*t->get("video_bitrate_kbps")) : f.pos();
      auto warnRange = [&](const char* res, int lo, int hi) {
        if (p.videoBitrateKbps < lo || p.videoBitrateKbps > hi)
          ctx_.warning(bp, "[programme] video_bitrate_kbps " + std::to_string(p.videoBitrateKbps) +
                               " is outside " + std::to_string(lo) + "–" + std::to_string(hi) +
                               " kbps, the range Facebook Live recommends for " + res);
      };
      if (p.height == 720) warnRange("720p", 1500, 4000);
      if (p.height == 1080) warnRange("1080p", 3000, 6000);
    }
    if (const toml::node* k = t->get("keyframe_interval_s")) {
      if (auto v = f.number("keyframe_interval_s")) {
        if (!(*v > 0))  // also NaN
          ctx_.error(positionOf(*k),
                     "[programme] keyframe_interval_s must be more than 0, not " + shown(*k));
        else if (*v > 4)
          ctx_.error(positionOf(*k), "[programme] keyframe_interval_s " + shown(*k) +
                                         " is too long: Facebook Live needs a keyframe at least "
                                         "every 4 s (2 s recommended)");
        else
          p.keyframeIntervalSeconds = *v;
      }
    }
    if (auto v = f.text("h264_profile")) {
      if (*v == "main" || *v == "high")
        p.h264Profile = *v;
      else
        ctx_.error(positionOf(*t->get("h264_profile")),
                   "[programme] h264_profile " + inQuotes(*v) +
                       " is not allowed; Facebook Live takes \"main\" or \"high\"");
    }
    if (auto v = f.text("x264_preset")) {
      if (contains(kX264Presets, *v))
        p.x264Preset = *v;
      else
        ctx_.error(positionOf(*t->get("x264_preset")),
                   "[programme] x264_preset " + inQuotes(*v) + " is not an x264 preset (" +
                       joinList(kX264Presets) + ")" + suggestion(*v, kX264Presets));
    }
    if (auto v = f.integer("audio_bitrate_kbps", 32, 512)) p.audioBitrateKbps = *v;
    if (const toml::node* r = t->get("audio_rate")) {
      if (auto v = f.integer("audio_rate", 0, 1'000'000)) {
        if (*v == 44100 || *v == 48000)
          p.audioRate = static_cast<int>(*v);
        else
          ctx_.error(positionOf(*r), "[programme] audio_rate " + std::to_string(*v) +
                                         " is not allowed; Facebook Live takes 44100 or 48000");
      }
    }
    if (auto v = f.integer("audio_channels", 1, 2)) p.audioChannels = static_cast<int>(*v);
    if (auto v = f.text("font")) {
      if (v->empty())
        ctx_.error(positionOf(*t->get("font")), "[programme] font is empty");
      else
        p.font = *v;
    }
    f.reportUnread({"width", "height", "fps", "video_bitrate_kbps", "keyframe_interval_s",
                    "h264_profile", "x264_preset", "audio_bitrate_kbps", "audio_rate",
                    "audio_channels", "font"});
  }

  // -------------------------------------------------------------------------------------
  // The common start of [sources.x], [scenes.x], [outputs.x]: a table with a valid id and
  // a known kind. Returns the kind, or nullopt when the entry cannot be read further.
  std::optional<std::string> readKind(Fields& f, const toml::key& key, std::string_view what,
                                      const std::vector<KindKeys>& kinds) {
    std::string id(key.str());
    if (!validId(id))
      ctx_.error(positionOf(key.source()),
                 std::string(what) + " id " + inQuotes(id) +
                     " may only use letters a–z, digits, '-' and '_' (it is used in URLs and "
                     "logs)");
    if (!f.has("kind")) {
      ctx_.error(f.pos(), f.where() + " has no kind; use one of " + joinList(kindNames(kinds)));
      return std::nullopt;
    }
    auto kind = f.text("kind");
    if (!kind) return std::nullopt;
    auto names = kindNames(kinds);
    if (!contains(names, *kind)) {
      ctx_.error(positionOf(*f.take("kind")),
                 f.where() + " kind " + inQuotes(*kind) + " is not a " + std::string(what) +
                     " kind; use one of " + joinList(names) + suggestion(*kind, names));
      return std::nullopt;
    }
    return kind;
  }

  // Iterates [name.<id>] sub-tables in file order.
  template <typename Fn>
  void forEachEntry(const toml::node* n, std::string_view name, Fn&& fn) {
    const toml::table* t = expectTable(n, "[" + std::string(name) + "]",
                                       "one [" + std::string(name) + ".<id>] table per entry");
    if (!t) return;
    for (auto [key, value] : inFileOrder(*t)) {
      const toml::table* entry = value->as_table();
      std::string where = "[" + std::string(name) + "." + std::string(key->str()) + "]";
      if (!entry) {
        ctx_.error(positionOf(*value), where + " must be a table with kind = …, not " +
                                           typeName(*value) + " (" + shown(*value) + ")");
        continue;
      }
      fn(*key, *entry, where);
    }
  }

  void readSources(const toml::node* n) {
    forEachEntry(
        n, "sources", [&](const toml::key& key, const toml::table& t, const std::string& where) {
          Fields f(ctx_, t, where);
          SourceConfig s;
          s.id = std::string(key.str());
          s.pos = f.pos();
          declaredSources_.insert(s.id);
          if (auto v = f.text("label")) s.label = *v;
          auto kind = readKind(f, key, "source", kSourceKinds);
          if (!kind) return;
          if (*kind == "test") {
            s.kind = SourceKind::Test;
            if (auto v = f.text("pattern")) {
              if (contains(kTestPatterns, *v))
                s.pattern = *v;
              else
                ctx_.error(positionOf(*t.get("pattern")),
                           where + " pattern " + inQuotes(*v) + " is not a test pattern (such as " +
                               "smpte, ball, snow, red, colors)" + suggestion(*v, kTestPatterns));
            }
            if (const toml::node* tone = t.get("tone_hz")) {
              if (auto v = f.number("tone_hz")) {
                if (!(*v >= 0 && *v <= 20000))  // also NaN
                  ctx_.error(positionOf(*tone), where +
                                                    " tone_hz must be between 0 (silence) and "
                                                    "20000, not " +
                                                    shown(*tone));
                else
                  s.toneHz = *v;
              }
            }
          } else if (*kind == "uri") {
            s.kind = SourceKind::Uri;
            if (auto v =
                    f.requiredText("uri", " (for example \"srt://0.0.0.0:9000?mode=listener\")"))
              s.uri = checkSourceUri(*v, *t.get("uri"), where);
          } else if (*kind == "image") {
            s.kind = SourceKind::Image;
            if (auto v = f.requiredText("path", " (the still image, PNG or JPEG)")) {
              fs::path p = ctx_.resolve(*v);
              if (!isRegularFile(p))
                ctx_.error(positionOf(*t.get("path")), where + " the image file " + inQuotes(*v) +
                                                           " does not exist (looked for " +
                                                           inQuotes(p.string()) + ")");
              s.path = p.string();
            }
          } else {
            s.kind = SourceKind::Launch;
            if (auto v = f.requiredText("video",
                                        " (a GStreamer fragment producing raw video, "
                                        "e.g. \"v4l2src device=/dev/video0\")"))
              s.videoLaunch = *v;
            if (auto v = f.text("audio")) s.audioLaunch = *v;
          }
          if (s.kind == SourceKind::Uri || s.kind == SourceKind::Launch)
            if (const toml::node* d = f.take("signal_timeout"))
              if (auto v = durationOf(*d, f, "signal_timeout")) {
                if (*v < Millis{100} || *v > Millis{60000})
                  ctx_.error(positionOf(*d), where + " signal_timeout " + shown(*d) +
                                                 " must be between 100ms and 60s (the time "
                                                 "without a frame after which the input counts "
                                                 "as lost)");
                else
                  s.signalTimeout = *v;
              }
          f.reportUnread({"kind", "label"}, kSourceKinds, *kind);
          config_.sources.push_back(std::move(s));
        });
  }

  std::string checkSourceUri(const std::string& uri, const toml::node& n,
                             const std::string& where) {
    auto sep = uri.find("://");
    std::string scheme = sep == std::string::npos ? std::string{} : lower(uri.substr(0, sep));
    if (!contains(kUriSchemes, scheme)) {
      ctx_.error(positionOf(n), where + " uri " + inQuotes(redactUrl(uri)) +
                                    " must start with one of " + joinList(kUriSchemes) +
                                    " followed by ://");
      return uri;
    }
    if (scheme != "file") return uri;
    // file:///abs/path; "file://media/x.mp4" is read as relative to the config file.
    std::string rest = percentDecodeLenient(uri.substr(sep + 3));
    fs::path p = ctx_.resolve(rest);
    if (!isRegularFile(p)) {
      ctx_.error(positionOf(n), where + " the file " + inQuotes(rest) +
                                    " named by the uri does not exist (looked for " +
                                    inQuotes(p.string()) + ")");
      return uri;
    }
    return "file://" + percentEncode(p.string(), "/");
  }

  // -------------------------------------------------------------------------------------
  std::string sourceRef(Fields& f, const toml::table& t, std::string_view key) {
    auto v = f.requiredText(key, " (the id of a source in [sources])");
    if (!v) return {};
    if (!declaredSources_.count(*v))
      ctx_.error(positionOf(*t.get(key)), f.where() + " " + std::string(key) + " " + inQuotes(*v) +
                                              " is not a source in [sources]" +
                                              suggestion(*v, declaredSources_));
    return *v;
  }

  std::optional<Millis> durationOf(const toml::node& n, Fields& f, std::string_view key) {
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
    ctx_.error(positionOf(n), f.where() + " " + std::string(key) + " " + shown(n) +
                                  " is not a duration; write it like \"5m\", \"90s\", "
                                  "\"1h30m\", \"00:05:00\" or a number of seconds");
    return std::nullopt;
  }

  // A wall-clock time of day: "14:00" / "14:00:30" / "14h00" text or a TOML local time.
  std::optional<Millis> clockOf(const toml::node& n, Fields& f, std::string_view key) {
    if (const auto* t = n.as_time()) {
      const toml::time& v = t->get();
      return Millis{((v.hour * 60LL + v.minute) * 60 + v.second) * 1000 + v.nanosecond / 1000000};
    }
    if (const auto* s = n.as_string()) {
      if (auto v = parseClockTime(s->get())) return v;
      ctx_.error(positionOf(n), f.where() + " " + std::string(key) + " " + inQuotes(s->get()) +
                                    " is not a time of day; write it like \"14:00\" or "
                                    "\"14:00:30\"");
      return std::nullopt;
    }
    f.typeError(n, key, "a time of day like \"14:00\"");
    return std::nullopt;
  }

  void readScenes(const toml::node* n) {
    forEachEntry(
        n, "scenes", [&](const toml::key& key, const toml::table& t, const std::string& where) {
          Fields f(ctx_, t, where);
          SceneConfig s;
          s.id = std::string(key.str());
          s.pos = f.pos();
          declaredScenes_.insert(s.id);
          if (auto v = f.text("label")) s.label = *v;
          auto kind = readKind(f, key, "scene", kSceneKinds);
          if (!kind) return;
          if (*kind == "source") {
            s.kind = SceneKind::Source;
            s.source = sourceRef(f, t, "source");
          } else if (*kind == "slate") {
            s.kind = SceneKind::Slate;
            if (auto v = f.text("text")) s.slate.text = *v;
            if (const toml::node* c = f.take("countdown_to")) {
              if (auto v = clockOf(*c, f, "countdown_to")) s.slate.countdownTo = formatClock(*v);
            }
            if (auto v = f.text("background")) {
              if (isHexColour(*v))
                s.slate.background = *v;
              else
                ctx_.error(positionOf(*t.get("background")),
                           where + " background " + inQuotes(*v) +
                               " is not a colour; write it as \"#RRGGBB\", e.g. \"#7a0c0c\"");
            }
          } else if (*kind == "clip") {
            s.kind = SceneKind::Clip;
            readClip(f, t, s.clip);
          } else if (*kind == "pip") {
            s.kind = SceneKind::PictureInPicture;
            s.main = sourceRef(f, t, "main");
            s.inset = sourceRef(f, t, "inset");
            if (!s.main.empty() && s.main == s.inset)
              ctx_.warning(positionOf(*t.get("inset")),
                           where + " shows source " + inQuotes(s.main) + " twice (main and inset)");
            if (auto v = f.text("position")) {
              if (contains(kInsetPositions, *v))
                s.insetPosition = *v;
              else
                ctx_.error(positionOf(*t.get("position")),
                           where + " position " + inQuotes(*v) + " is not a corner; use " +
                               joinList(kInsetPositions) + suggestion(*v, kInsetPositions));
            }
          } else {
            s.kind = SceneKind::SideBySide;
            s.main = sourceRef(f, t, "left");
            s.inset = sourceRef(f, t, "right");
          }
          f.reportUnread({"kind", "label"}, kSceneKinds, *kind);
          config_.scenes.push_back(std::move(s));
        });
  }

  void readClip(Fields& f, const toml::table& t, ClipConfig& clip) {
    bool hasFile = f.has("file"), hasTest = f.has("test_pattern");
    if (hasFile && hasTest) {
      ctx_.error(positionOf(*t.get("test_pattern")),
                 f.where() + " has both file and test_pattern; a clip plays one or the other");
    } else if (!hasFile && !hasTest) {
      ctx_.error(f.pos(), f.where() +
                              " has no file (the clip to play, e.g. "
                              "\"media/phong-su.mp4\") and no test_pattern");
    }
    if (auto v = f.text("file")) {
      fs::path p = ctx_.resolve(*v);
      if (v->empty() || !isRegularFile(p))
        ctx_.error(positionOf(*t.get("file")), "the clip file " + inQuotes(*v) + " of " +
                                                   f.where() + " does not exist (looked for " +
                                                   inQuotes(p.string()) + ")");
      clip.file = p.string();
    }
    if (auto v = f.text("test_pattern")) {
      if (contains(kTestPatterns, *v))
        clip.testPattern = *v;
      else
        ctx_.error(positionOf(*t.get("test_pattern")), f.where() + " test_pattern " + inQuotes(*v) +
                                                           " is not a test pattern" +
                                                           suggestion(*v, kTestPatterns));
    }
    if (const toml::node* d = f.take("test_duration")) {
      if (auto v = durationOf(*d, f, "test_duration")) {
        if (v->count() <= 0)
          ctx_.error(positionOf(*d), f.where() + " test_duration must be longer than 0");
        else
          clip.testDurationSeconds = static_cast<double>(v->count()) / 1000.0;
      }
    } else if (hasTest && !hasFile) {
      ctx_.error(f.pos(), f.where() +
                              " has a test_pattern but no test_duration (how long "
                              "the generated clip plays, e.g. \"20s\")");
    }
  }

  // -------------------------------------------------------------------------------------
  void readApi(const toml::node* n) {
    const toml::table* t = expectTable(n, "[api]", "[api] with listen = \"127.0.0.1:8080\"");
    if (!t) return;
    Fields f(ctx_, *t, "[api]");
    ApiConfig& a = config_.api;
    a.pos = f.pos();
    if (auto v = f.text("listen")) {
      if (!parseListenAddress(*v))
        ctx_.error(positionOf(*t->get("listen")),
                   "[api] listen " + inQuotes(*v) +
                       " must be an address and a port, e.g. \"127.0.0.1:8080\"");
      else
        a.listen = *v;
    }
    auto secret = [&](const char* fileKey, const char* credKey, std::string& file,
                      std::string& cred) {
      if (auto v = f.text(fileKey)) {
        if (v->empty())
          ctx_.error(positionOf(*t->get(fileKey)), std::string("[api] ") + fileKey + " is empty");
        else
          file = ctx_.resolve(*v).string();
      }
      if (auto v = f.text(credKey)) {
        if (v->empty() || v->find('/') != std::string::npos || *v == "." || *v == "..")
          ctx_.error(positionOf(*t->get(credKey)),
                     std::string("[api] ") + credKey + " " + inQuotes(*v) +
                         " is not a credential name (LoadCredential=NAME:… in the unit)");
        else
          cred = *v;
      }
      if (!file.empty() && !cred.empty())
        ctx_.error(positionOf(*t->get(credKey)), std::string("[api] has both ") + fileKey +
                                                     " and " + credKey + "; give one of them");
    };
    secret("viewer_token_file", "viewer_token_credential", a.viewerTokenFile,
           a.viewerTokenCredential);
    secret("operator_token_file", "operator_token_credential", a.operatorTokenFile,
           a.operatorTokenCredential);
    for (const char* k : {"viewer_token", "operator_token", "token"})
      if (const toml::node* secretHere = f.take(k))
        ctx_.error(positionOf(*secretHere), std::string("[api] ") + k +
                                                ": tokens never go in the config text; put each "
                                                "in a file and name it with viewer_token_file / "
                                                "operator_token_file (or *_credential)");
    secret("tls_certificate_file", "tls_certificate_credential", a.tlsCertificateFile,
           a.tlsCertificateCredential);
    secret("tls_key_file", "tls_key_credential", a.tlsKeyFile, a.tlsKeyCredential);
    const bool hasKey = !(a.tlsKeyFile.empty() && a.tlsKeyCredential.empty());
    if (a.tls() != hasKey)
      ctx_.error(f.pos(), std::string("[api] has ") +
                              (hasKey ? "a TLS key but no tls_certificate_file"
                                      : "a TLS certificate but no tls_key_file") +
                              " (or *_credential); HTTPS needs both");
    if (const toml::node* n = f.take("server_names")) {
      const toml::array* names = n->as_array();
      if (!names) {
        f.typeError(*n, "server_names", "a list of host names in quotes");
      } else {
        for (const toml::node& e : *names) {
          const auto* name = e.as_string();
          const bool ok =
              name && !name->get().empty() && name->get().size() <= 253 &&
              std::all_of(name->get().begin(), name->get().end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
              });
          if (!ok)
            ctx_.error(positionOf(e),
                       "[api] server_names: " + shown(e) +
                           " is not a host name (like \"truyenhinh.quangngai.gov.vn\")");
          else
            a.serverNames.push_back(toLowerAscii(name->get()));
        }
      }
    }
    if (auto v = f.integer("max_connections", 16, 60000)) a.maxConnections = int(*v);
    if (auto v = f.integer("max_connections_per_address", 1, 60000))
      a.maxConnectionsPerAddress = int(*v);
    if (auto v = f.integer("max_streams", 1, 60000)) a.maxStreams = int(*v);
    if (auto v = f.integer("max_streams_per_address", 1, 60000)) a.maxStreamsPerAddress = int(*v);
    f.reportUnread({"listen", "viewer_token_file", "viewer_token_credential", "operator_token_file",
                    "operator_token_credential", "max_connections", "max_connections_per_address",
                    "max_streams", "max_streams_per_address", "tls_certificate_file",
                    "tls_certificate_credential", "tls_key_file", "tls_key_credential",
                    "server_names"});
    // What the daemon will refuse at start, said by --check where it is written (a warning:
    // --insecure and --viewer-token-file on the command line may still make it fine).
    if (const toml::node* listen = t->get("listen"); listen && listen->is_string()) {
      const auto where = parseListenAddress(a.listen);
      const bool loopback = where && (where->host == "::1" || where->host == "localhost" ||
                                      where->host.rfind("127.", 0) == 0);
      if (where && !loopback) {
        if (!a.tls())
          ctx_.warning(positionOf(*listen),
                       "[api] listen " + inQuotes(a.listen) +
                           " is beyond this machine without HTTPS: the daemon will not start "
                           "unless tls_certificate_file and tls_key_file are given, or "
                           "--insecure is said on its command line");
        if (a.viewerTokenFile.empty() && a.viewerTokenCredential.empty())
          ctx_.warning(positionOf(*listen),
                       "[api] listen " + inQuotes(a.listen) +
                           " is beyond this machine without a viewer token: the daemon will not "
                           "start unless viewer_token_file (or --viewer-token-file) is given");
      }
    }
  }

  // -------------------------------------------------------------------------------------
  void readBridge(const toml::node* n) {
    if (!n) return;
    const toml::table* t = expectTable(n, "[bridge]", "[bridge] with enabled = true");
    if (!t) return;
    Fields f(ctx_, *t, "[bridge]");
    BridgeConfig& b = config_.bridge;
    b.pos = f.pos();
    b.enabled = true;  // a [bridge] table turns it on unless it says otherwise
    if (auto v = f.boolean("enabled")) b.enabled = *v;
    if (auto v = f.integer("max_viewers", 1, 1000)) b.maxViewers = int(*v);
    if (auto v = f.integer("audio_bitrate_kbps", 16, 256)) b.audioBitrateKbps = int(*v);
    if (auto v = f.text("srt_listen")) {
      const auto a = parseListenAddress(*v);
      if (!a || a->port == 0)
        ctx_.error(positionOf(*t->get("srt_listen")),
                   "[bridge] srt_listen " + inQuotes(*v) +
                       " must be an address and a port, e.g. \"0.0.0.0:9000\"");
      else
        b.srtListen = *v;
    }
    if (auto v = f.integer("srt_latency_ms", 20, 8000)) b.srtLatencyMs = int(*v);
    for (auto [key, into] :
         {std::pair{"relay_video", &b.relayVideo}, std::pair{"relay_audio", &b.relayAudio}}) {
      auto v = f.text(key);
      if (!v) continue;
      const auto a = parseListenAddress(*v);
      if (!a || a->port == 0 || a->host.empty() || a->host == "0.0.0.0" || a->host == "::")
        ctx_.error(positionOf(*t->get(key)),
                   std::string("[bridge] ") + key + " " + inQuotes(*v) +
                       " must be the media server's address and RTP port, e.g. "
                       "\"10.0.0.5:5004\"");
      else
        *into = *v;
    }
    if (auto v = f.text("address")) {
      unsigned char buf[16];
      if (inet_pton(AF_INET, v->c_str(), buf) != 1 && inet_pton(AF_INET6, v->c_str(), buf) != 1)
        ctx_.error(positionOf(*t->get("address")),
                   "[bridge] address " + inQuotes(*v) +
                       " must be an IP address of this machine that the points can reach, e.g. "
                       "\"203.0.113.10\"");
      else
        b.address = *v;
    }
    const auto portMin = f.integer("udp_port_min", 1024, 65535);
    const auto portMax = f.integer("udp_port_max", 1024, 65535);
    if (portMin.has_value() != portMax.has_value()) {
      ctx_.error(b.pos,
                 "[bridge] udp_port_min and udp_port_max go together: the range of UDP "
                 "ports the viewers' sessions take");
    } else if (portMin && portMax) {
      if (*portMax < *portMin)
        ctx_.error(positionOf(*t->get("udp_port_max")),
                   "[bridge] udp_port_max must not be below udp_port_min");
      else if (*portMax - *portMin + 1 < b.maxViewers)
        ctx_.error(positionOf(*t->get("udp_port_max")),
                   "[bridge] udp_port_min–udp_port_max holds " +
                       std::to_string(*portMax - *portMin + 1) +
                       " ports: each viewer takes one, and max_viewers is " +
                       std::to_string(b.maxViewers));
      else {
        b.udpPortMin = int(*portMin);
        b.udpPortMax = int(*portMax);
      }
    }
    if (b.relayVideo.empty() != b.relayAudio.empty())
      ctx_.error(b.pos,
                 "[bridge] relay_video and relay_audio go together: the media server's "
                 "mountpoint takes the picture and the sound on a port each");
    // [programme] h264_profile is main or high, both of which browsers decode over WebRTC:
    // the bridge sends the programme's own encode.
    f.reportUnread({"enabled", "max_viewers", "audio_bitrate_kbps", "srt_listen", "srt_latency_ms",
                    "relay_video", "relay_audio", "address", "udp_port_min", "udp_port_max"});
  }

  // -------------------------------------------------------------------------------------
  void readOutputs(const toml::node* n) {
    forEachEntry(
        n, "outputs", [&](const toml::key& key, const toml::table& t, const std::string& where) {
          Fields f(ctx_, t, where);
          OutputConfig o;
          o.id = std::string(key.str());
          o.pos = f.pos();
          ++declaredOutputs_;
          if (auto v = f.text("label")) o.label = *v;
          if (auto v = f.boolean("enabled")) o.enabled = *v;
          auto kind = readKind(f, key, "output", kOutputKinds);
          if (!kind) return;
          if (*kind == "rtmp") {
            o.kind = OutputKind::Rtmp;
            readRtmp(f, t, o);
          } else {
            o.kind = OutputKind::Record;
            o.directory = "recordings";
            if (auto v = f.text("directory")) {
              if (v->empty())
                ctx_.error(positionOf(*t.get("directory")), where + " directory is empty");
              else
                o.directory = *v;
            }
            fs::path dir = ctx_.resolve(o.directory);
            std::error_code ec;
            auto st = fs::status(dir, ec);
            if (st.type() != fs::file_type::not_found && st.type() != fs::file_type::directory &&
                !ec)
              ctx_.error(t.get("directory") ? positionOf(*t.get("directory")) : f.pos(),
                         where + " directory " + inQuotes(o.directory) +
                             " exists but is not a folder (looked at " + inQuotes(dir.string()) +
                             ")");
            o.directory = dir.string();
            if (const toml::node* d = f.take("segment"))
              if (auto v = durationOf(*d, f, "segment")) {
                if (*v < Millis{10000})
                  ctx_.error(positionOf(*d), where + " segment " + shown(*d) +
                                                 " is too short; a recording file of at least 10s "
                                                 "(e.g. \"10m\")");
                else
                  o.segment = *v;
              }
          }
          f.reportUnread({"kind", "label", "enabled"}, kOutputKinds, *kind);
          config_.outputs.push_back(std::move(o));
        });
  }

  static bool isLoopbackHost(std::string_view url) {
    auto sep = url.find("://");
    if (sep == std::string_view::npos) return false;
    std::string_view host = url.substr(sep + 3);
    host = host.substr(0, host.find_first_of("/?#"));
    if (host.substr(0, 10) == "localhost:" || host == "localhost") return true;
    if (host.substr(0, 4) == "127.") return true;
    return host.substr(0, 5) == "[::1]";
  }

  void readRtmp(Fields& f, const toml::table& t, OutputConfig& o) {
    const std::string& where = f.where();
    if (auto v = f.requiredText("url",
                                " (the ingest URL without the key, e.g. "
                                "\"rtmps://live-api-s.facebook.com:443/rtmp/\")")) {
      Position up = positionOf(*t.get("url"));
      std::string scheme = lower(v->substr(0, v->find("://")));
      if (v->find("://") == std::string::npos || (scheme != "rtmp" && scheme != "rtmps")) {
        ctx_.error(up, where + " url " + inQuotes(redactUrl(*v)) +
                           " must start with rtmps:// (or rtmp:// for a local server)");
      } else if (v->find_first_of("/?#", v->find("://") + 3) == v->find("://") + 3) {
        ctx_.error(up, where + " url " + inQuotes(redactUrl(*v)) + " has no host");
      }
      if (auto secret = secretPartOfRtmpUrl(*v)) {
        ctx_.error(up, where + " url " + inQuotes(redactUrl(*v)) + " seems to contain a " +
                           "stream key (" + *secret +
                           "): put the stream key in key_file or key_credential, not in the "
                           "config");
      }
      if (scheme == "rtmp" && v->find("facebook.com") != std::string::npos)
        ctx_.warning(up, where + " Facebook Live accepts only rtmps:// (port 443), not " +
                             inQuotes(redactUrl(*v)));
      o.url = *v;
    }
    if (auto v = f.boolean("tls_validation")) {
      o.tlsValidation = *v;
      if (!*v)
        ctx_.warning(positionOf(*t.get("tls_validation")),
                     where +
                         " tls_validation = false: the server's certificate is not checked; "
                         "use this only for rehearsals against a local server");
    }
    if (auto v = f.boolean("key_required")) {
      o.keyRequired = *v;
      if (!*v && !isLoopbackHost(o.url)) {
        ctx_.error(positionOf(*t.get("key_required")),
                   where +
                       " key_required = false is only for local test servers (127.0.0.1, "
                       "localhost); real ingests need a stream key");
        o.keyRequired = true;
      }
    }
    if (auto v = f.text("key_file")) {
      if (v->empty())
        ctx_.error(positionOf(*t.get("key_file")), where + " key_file is empty");
      else
        o.keyFile = ctx_.resolve(*v).string();
    }
    if (auto v = f.text("key_credential")) {
      if (v->empty() || *v == "." || *v == ".." || v->find('/') != std::string::npos)
        ctx_.error(positionOf(*t.get("key_credential")),
                   where + " key_credential " + inQuotes(*v) +
                       " is not a credential name (a plain name like \"facebook-key\")");
      else
        o.keyCredential = *v;
    }
    if (!o.keyFile.empty() && !o.keyCredential.empty()) {
      ctx_.error(positionOf(*t.get("key_credential")),
                 where + " has both key_file and key_credential; give one of them");
      return;
    }
    if (!o.keyRequired || !o.enabled) return;
    if (o.keyFile.empty() && o.keyCredential.empty()) {
      if (!t.contains("key_file") && !t.contains("key_credential"))
        ctx_.error(f.pos(), where + " has no stream key: add key_file = \"/etc/ceremonyd/" + o.id +
                                ".key\" or key_credential = \"" + o.id + "-key\"");
      return;
    }
    std::string why;
    if (!o.keyFile.empty()) {
      Position kp = positionOf(*t.get("key_file"));
      if (auto key = readStreamKey(o, &why)) {
        std::fill(key->begin(), key->end(), '\0');
        std::error_code ec;
        auto perms = fs::status(o.keyFile, ec).permissions();
        if (!ec && (perms & (fs::perms::group_read | fs::perms::others_read)) != fs::perms::none)
          ctx_.warning(kp, where + " the key file " + inQuotes(o.keyFile) +
                               " can be read by other users; chmod 600 it");
      } else {
        ctx_.error(kp, where + " " + why);
      }
      return;
    }
    Position cp = positionOf(*t.get("key_credential"));
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir == '\0') {
      ctx_.warning(cp, where + " the systemd credential " + inQuotes(o.keyCredential) +
                           " cannot be checked now (CREDENTIALS_DIRECTORY is not set); it will "
                           "be found when systemd starts the service with LoadCredential=");
      return;
    }
    if (auto key = readStreamKey(o, &why))
      std::fill(key->begin(), key->end(), '\0');
    else
      ctx_.error(cp, where + " " + why);
  }

  // -------------------------------------------------------------------------------------
  void readTimeline(const toml::node* n) {
    if (!n) {
      ctx_.error({},
                 "the timeline has no items: add [[timeline]] entries with id, title, "
                 "start and scene");
      return;
    }
    const toml::array* items = n->as_array();
    if (!items) {
      ctx_.error(positionOf(*n),
                 "timeline must be a list of [[timeline]] items (two brackets), "
                 "not " +
                     typeName(*n));
      return;
    }
    if (items->empty()) {
      ctx_.error(positionOf(*n), "the timeline has no items: add [[timeline]] entries");
      return;
    }
    std::size_t index = 0;
    for (const toml::node& element : *items) {
      ++index;
      const toml::table* t = element.as_table();
      if (!t) {
        ctx_.error(positionOf(element), "timeline item " + std::to_string(index) +
                                            " must be a table ([[timeline]] with id = …), not " +
                                            typeName(element));
        continue;
      }
      readItem(*t, index);
    }
  }

  void readItem(const toml::table& t, std::size_t index) {
    Fields f(ctx_, t, "timeline item " + std::to_string(index));
    ItemConfig it;
    it.pos = f.pos();
    if (auto id = f.requiredText("id",
                                 " (a short name like \"gioi-thieu\" operators use to "
                                 "jump to it)")) {
      it.id = *id;
      f.setWhere("timeline item '" + *id + "'");
      Position ip = positionOf(*t.get("id"));
      if (!validId(*id))
        ctx_.error(ip, "timeline item id " + inQuotes(*id) +
                           " may only use letters a–z, digits, '-' and '_' (it is used in URLs "
                           "and logs)");
      auto [seen, fresh] = itemIds_.emplace(*id, ip);
      if (!fresh)
        ctx_.error(ip, "duplicate timeline item id " + inQuotes(*id) + " (already used at line " +
                           std::to_string(seen->second.line) + ")");
    }
    if (auto v = f.text("title")) it.title = *v;
    if (it.title.empty()) {
      if (!it.id.empty())
        ctx_.warning(f.pos(), f.where() + " has no title; operators will see its id instead");
      it.title = it.id;
    }
    if (auto v = f.requiredText("scene", " (the id of a scene in [scenes])")) {
      it.scene = *v;
      if (!declaredScenes_.count(*v))
        ctx_.error(positionOf(*t.get("scene")), f.where() + " scene " + inQuotes(*v) +
                                                    " is not a scene in [scenes]" +
                                                    suggestion(*v, declaredScenes_));
    }

    bool startOk = true;
    if (const toml::node* s = f.take("start")) startOk = readStart(*s, f, it);
    if (const toml::node* e = f.take("end")) readEnd(*e, f, it);
    if (const toml::node* d = f.take("duration")) {
      if (t.contains("end")) {
        ctx_.error(positionOf(*d), f.where() + " has both end and duration; give one of them");
      } else if (auto v = durationOf(*d, f, "duration")) {
        if (v->count() <= 0)
          ctx_.error(positionOf(*d), f.where() + " duration must be longer than 0");
        else
          it.duration = *v;
      }
    }

    // The cue: written, or "at" for a wall-clock start and "after" otherwise.
    it.cue = it.start ? CueMode::At : CueMode::After;
    if (auto v = f.text("cue")) {
      Position cp = positionOf(*t.get("cue"));
      if (*v == "at") {
        it.cue = CueMode::At;
        if (it.startAfterPrevious)
          ctx_.error(cp, f.where() +
                             " has cue = \"at\" but a relative start; \"at\" needs a "
                             "wall-clock start like \"14:00\"");
        else if (!it.start && startOk)
          ctx_.error(cp, f.where() +
                             " has cue = \"at\" but no start time; add start = "
                             "\"14:00\" or use cue = \"after\" or \"manual\"");
      } else if (*v == "after") {
        it.cue = CueMode::After;
      } else if (*v == "manual") {
        it.cue = CueMode::Manual;
      } else {
        ctx_.error(cp, f.where() + " cue " + inQuotes(*v) +
                           " is not a cue; use \"at\", \"after\" or \"manual\"" +
                           suggestion(*v, std::vector<std::string_view>{"at", "after", "manual"}));
      }
    }
    if (index == 1 && it.cue == CueMode::After && !it.start && startOk)
      ctx_.error(it.startAfterPrevious ? positionOf(*t.get("start")) : f.pos(),
                 f.where() +
                     " is the first item, so it cannot follow a previous one; give it a "
                     "start time like \"14:00\" or cue = \"manual\"");

    if (it.start && it.end && *it.end <= *it.start)
      ctx_.error(positionOf(*t.get("end")),
                 f.where() + " ends at " + clock(*it.end) + ", " +
                     (*it.end == *it.start ? "the same moment it starts"s
                                           : "before it starts at " + clock(*it.start)));

    if (const toml::node* l = f.take("lower_third")) readLowerThird(*l, f, it.lowerThird);
    f.reportUnread({"id", "title", "start", "end", "duration", "scene", "cue", "lower_third"});
    config_.timeline.push_back(std::move(it));
  }

  bool readStart(const toml::node& n, Fields& f, ItemConfig& it) {
    if (const auto* s = n.as_string()) {
      std::string_view text = s->get();
      if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        auto d = text.front() == '+' ? parseDuration(text.substr(1)) : std::nullopt;
        if (!d) {
          ctx_.error(positionOf(n), f.where() + " start " + inQuotes(text) +
                                        " is not an offset after the previous item; write it "
                                        "like \"+30s\" or \"+5m\"");
          return false;
        }
        it.startAfterPrevious = *d;
        return true;
      }
    }
    if (auto abs = absoluteTime(n, f, "start", "\"+30s\" (after the previous item)")) {
      it.start = *abs;
      return true;
    }
    return false;
  }

  void readEnd(const toml::node& n, Fields& f, ItemConfig& it) {
    if (const auto* s = n.as_string(); s && !s->get().empty() && s->get().front() == '+') {
      ctx_.error(positionOf(n), f.where() + " end " + inQuotes(s->get()) +
                                    " is not a time of day; for a length write duration = " +
                                    inQuotes(s->get().substr(1)));
      return;
    }
    if (auto abs = absoluteTime(n, f, "end", "duration = \"5m\"")) it.end = *abs;
  }

  // "14:00" on the event's day in its timezone; a TOML time; or a full date-time.
  std::optional<WallTime> absoluteTime(const toml::node& n, Fields& f, std::string_view key,
                                       std::string_view otherForm) {
    int offset = config_.event.utcOffsetMinutes;
    if (const auto* dt = n.as_date_time()) {
      const toml::date_time& v = dt->get();
      std::chrono::year_month_day ymd{std::chrono::year{v.date.year},
                                      std::chrono::month{v.date.month},
                                      std::chrono::day{v.date.day}};
      if (!ymd.ok()) {
        ctx_.error(positionOf(n),
                   f.where() + " " + std::string(key) + " " + shown(n) + " is not a real day");
        return std::nullopt;
      }
      if (v.offset) offset = v.offset->minutes;
      Millis since{((v.time.hour * 60LL + v.time.minute) * 60 + v.time.second) * 1000 +
                   v.time.nanosecond / 1000000};
      return wallTimeOn(Date{ymd}, since, offset);
    }
    if (const auto* s = n.as_string(); s && !parseClockTime(s->get())) {
      ctx_.error(positionOf(n), f.where() + " " + std::string(key) + " " + inQuotes(s->get()) +
                                    " is not a time; write it like \"14:00\", \"14:00:30\" or " +
                                    std::string(otherForm));
      return std::nullopt;
    }
    auto since = clockOf(n, f, key);
    if (!since) return std::nullopt;
    return wallTimeOn(*date_, *since, offset);
  }

  void readLowerThird(const toml::node& n, Fields& item, LowerThird& out) {
    const toml::table* t = n.as_table();
    if (!t) {
      item.typeError(n, "lower_third", "a table like { name = \"Nguyễn Văn A\", role = \"…\" }");
      return;
    }
    Fields f(ctx_, *t, item.where() + " lower_third");
    if (auto v = f.text("name")) out.name = *v;
    if (auto v = f.text("role")) out.role = *v;
    if (out.empty() && (t->contains("name") || t->contains("role") || t->empty()))
      ctx_.warning(positionOf(n), f.where() + " has neither name nor role; nothing will show");
    f.reportUnread({"name", "role"});
  }

  std::string clock(WallTime t) const { return formatClock(t, config_.event.utcOffsetMinutes); }

  // -------------------------------------------------------------------------------------
  // Planned times of the whole run-of-show, for the checks that need neighbours: overlaps,
  // order, ends before starts of relative items, the 8-hour Facebook limit.
  void planTimeline() {
    if (declaredOutputs_ == 0)
      ctx_.warning({},
                   "there are no [outputs]: the programme is produced but goes nowhere "
                   "(add [outputs.recording] kind = \"record\" or an RTMP output)");
    auto& items = config_.timeline;
    struct Planned {
      std::optional<WallTime> start, end;
    };
    std::vector<Planned> plan(items.size());
    std::optional<WallTime> previousEnd;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const ItemConfig& it = items[i];
      Planned& p = plan[i];
      if (it.start)
        p.start = it.start;
      else if (i > 0 && previousEnd)
        p.start = *previousEnd + it.startAfterPrevious.value_or(Millis{0});
      if (it.end)
        p.end = it.end;
      else if (p.start && it.duration)
        p.end = *p.start + *it.duration;
      else if (p.start)
        if (const SceneConfig* s = config_.findScene(it.scene);
            s && s->kind == SceneKind::Clip && s->clip.isTest() && s->clip.testDurationSeconds > 0)
          p.end = *p.start + Millis{static_cast<std::int64_t>(s->clip.testDurationSeconds * 1000)};
      if (!it.start && p.start && it.end && *it.end <= *p.start)
        ctx_.error(it.pos, "timeline item '" + it.id + "' ends at " + clock(*it.end) +
                               ", before it starts (after the previous item) at " +
                               clock(*p.start));
      if (i > 0 && it.start && plan[i - 1].start && *it.start < *plan[i - 1].start)
        ctx_.warning(it.pos, "timeline item '" + it.id + "' starts at " + clock(*it.start) +
                                 ", before the item above it ('" + items[i - 1].id + "', " +
                                 clock(*plan[i - 1].start) +
                                 "); items run in the order they are written");
      previousEnd = p.end;
    }

    // Overlaps: sweep in start order, comparing with the item that reaches furthest.
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < items.size(); ++i)
      if (plan[i].start && plan[i].end && *plan[i].end > *plan[i].start) order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return *plan[a].start < *plan[b].start; });
    std::optional<std::size_t> furthest;
    for (std::size_t i : order) {
      if (furthest && *plan[i].start < *plan[*furthest].end) {
        std::size_t a = std::min(*furthest, i), b = std::max(*furthest, i);
        ctx_.warning(items[b].pos, "items '" + items[a].id + "' (" +
                                       span(plan[a].start, plan[a].end) + ") and '" + items[b].id +
                                       "' (" + span(plan[b].start, plan[b].end) +
                                       ") overlap; the later start cuts the earlier item short");
      }
      if (!furthest || *plan[i].end > *plan[*furthest].end) furthest = i;
    }

    // Facebook ends a live video after 8 hours.
    std::optional<WallTime> first, last;
    for (const auto& p : plan) {
      if (p.start && (!first || *p.start < *first)) first = p.start;
      if (p.end && (!last || *p.end > *last)) last = p.end;
    }
    bool anyRtmp = std::any_of(config_.outputs.begin(), config_.outputs.end(),
                               [](const OutputConfig& o) { return o.kind == OutputKind::Rtmp; });
    if (anyRtmp && first && last && *last - *first > kFacebookMaxLive)
      ctx_.warning({}, "the timeline runs " + formatDuration(*last - *first) + " (" +
                           clock(*first) + "–" + clock(*last) +
                           "); Facebook ends a live video after 8 hours");
  }

  std::string span(std::optional<WallTime> a, std::optional<WallTime> b) const {
    return clock(*a) + "–" + clock(*b);
  }

  Context& ctx_;
  Config& config_;
  std::optional<Date> date_;
  std::set<std::string> declaredSources_;
  std::set<std::string> declaredScenes_;
  std::size_t declaredOutputs_ = 0;
  std::map<std::string, Position> itemIds_;
};

// Diagnostics top to bottom, as a person reads the file; file-wide ones last.
Diagnostics inLineOrder(const Diagnostics& in) {
  std::vector<Diagnostic> all = in.all();
  auto key = [](const Diagnostic& d) {
    return std::pair{d.line == 0 ? INT_MAX : d.line, d.column};
  };
  std::stable_sort(all.begin(), all.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  Diagnostics out;
  for (Diagnostic& d : all) {
    if (d.severity == Severity::Warning)
      out.warning(std::move(d.file), d.line, d.column, std::move(d.message));
    else if (d.severity == Severity::Error)
      out.error(std::move(d.file), d.line, d.column, std::move(d.message));
    else
      out.fatal(std::move(d.file), d.line, d.column, std::move(d.message));
  }
  return out;
}

std::string countWord(std::size_t n, const char* vi, const char* en) {
  return std::to_string(n) + " " + vi + " (" + en + (n == 1 ? "" : "s") + ")";
}

}  // namespace

namespace {

// Each point proves itself with a token of its own (heartbeats, the bridge page): one that
// is short can be guessed, one shared with another point lets either speak for both. Both
// are errors; a token file that cannot be read is a warning (that point alone will be down,
// the ceremony goes on).
void checkPointTokens(const health::HealthConfig& health, const std::string& displayName,
                      Diagnostics& diagnostics) {
  std::map<std::string, std::pair<std::string, health::Origin>> seen;  // token → point, where
  for (const auto& point : health.points)
    for (const auto& probe : point.probes) {
      if (probe.tokenFile.empty() || (probe.kind != "heartbeat" && probe.kind != "bridge"))
        continue;
      const std::string file = probe.origin.file.empty() ? displayName : probe.origin.file;
      std::string why;
      auto token = readSecret(probe.tokenFile, "", "point token", &why);
      if (!token) {
        diagnostics.warning(file, probe.origin.line, probe.origin.column,
                            "điểm cầu \"" + point.id + "\": " + why +
                                "; the point cannot prove itself and will be down");
        continue;
      }
      if (token->size() < kMinPointTokenBytes) {
        diagnostics.error(file, probe.origin.line, probe.origin.column,
                          "điểm cầu \"" + point.id + "\": the token in " + probe.tokenFile +
                              " is " + std::to_string(token->size()) +
                              " bytes; a point's token "
                              "needs at least " +
                              std::to_string(kMinPointTokenBytes) +
                              " (e.g. `openssl rand -hex 16`)");
      } else if (auto [it, fresh] = seen.emplace(*token, std::pair{point.id, probe.origin});
                 !fresh && it->second.first != point.id) {
        const auto& other = it->second.second;
        diagnostics.error(
            file, probe.origin.line, probe.origin.column,
            "điểm cầu \"" + point.id + "\" has the same token as \"" + it->second.first + "\" (" +
                (other.file.empty() ? displayName : other.file) + ":" + std::to_string(other.line) +
                "); each point needs a token of its own, or one could speak for "
                "the other");
      }
      std::fill(token->begin(), token->end(), '\0');
    }
}

}  // namespace

LoadResult parseConfigText(std::string_view text, const std::string& displayName,
                           const std::filesystem::path& baseDir) {
  LoadResult result;
  try {
    toml::table root;
    try {
      root = toml::parse(text, std::string_view{displayName});
    } catch (const toml::parse_error& e) {
      Position p = positionOf(e.source());
      result.diagnostics.fatal(displayName, p.line, p.column,
                               "this is not valid TOML: " + std::string(e.description()));
      return result;
    }
    std::error_code ec;
    fs::path base = baseDir.empty() ? fs::current_path(ec) : fs::absolute(baseDir, ec);
    if (ec) base = baseDir;
    Config config;
    config.path = displayName;
    Context ctx{displayName, base, result.diagnostics};
    ConfigReader(ctx, config).read(root);
    try {
      health::parseHealthSection(root, displayName, base, config.health, result.diagnostics);
    } catch (const std::exception& e) {
      result.diagnostics.error(displayName, 0, 0,
                               "the connection points could not be read: " + std::string(e.what()));
    }
    checkPointTokens(config.health, displayName, result.diagnostics);
    // A point told to watch over the bridge while the bridge is off would only ever be down.
    if (!config.bridge.enabled)
      for (const auto& point : config.health.points)
        for (const auto& probe : point.probes)
          if (probe.kind == "bridge")
            result.diagnostics.warning(
                probe.origin.file.empty() ? displayName : probe.origin.file, probe.origin.line,
                probe.origin.column,
                "điểm cầu \"" + point.id +
                    "\" xem qua cầu truyền hình nhưng cầu đang tắt (a bridge probe while the "
                    "bridge is off: add [bridge]); the point will be down");
    result.diagnostics = inLineOrder(result.diagnostics);
    if (!result.diagnostics.hasErrors()) result.config = std::move(config);
  } catch (const std::exception& e) {
    result.config.reset();
    result.diagnostics.fatal(displayName, 0, 0,
                             "internal error while reading: " + std::string(e.what()));
  } catch (...) {
    result.config.reset();
    result.diagnostics.fatal(displayName, 0, 0, "internal error while reading");
  }
  return result;
}

LoadResult loadConfigFile(const std::filesystem::path& path) {
  const std::string name = path.string();
  LoadResult result;
  try {
    std::error_code ec;
    auto st = fs::status(path, ec);
    if (st.type() == fs::file_type::not_found) {
      result.diagnostics.fatal(name, 0, 0, "the configuration file does not exist");
      return result;
    }
    if (st.type() == fs::file_type::directory) {
      result.diagnostics.fatal(name, 0, 0, "this is a folder, not a configuration file");
      return result;
    }
    auto size = fs::file_size(path, ec);
    if (!ec && size > kMaxConfigBytes) {
      result.diagnostics.fatal(
          name, 0, 0,
          "the file is too large for a configuration (" + std::to_string(size) + " bytes)");
      return result;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      result.diagnostics.fatal(name, 0, 0, "the configuration file cannot be read");
      return result;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
      result.diagnostics.fatal(name, 0, 0, "the configuration file cannot be read");
      return result;
    }
    fs::path dir = fs::absolute(path, ec).parent_path();
    if (ec) dir = path.parent_path();
    return parseConfigText(text, name, dir);
  } catch (const std::exception& e) {
    result.diagnostics.fatal(name, 0, 0, "cannot read the configuration: " + std::string(e.what()));
  }
  return result;
}

int checkConfigMain(const std::filesystem::path& path, std::ostream& out) {
  LoadResult r = loadConfigFile(path);
  for (const Diagnostic& d : r.diagnostics.all()) out << d.format() << '\n';
  const Diagnostics& d = r.diagnostics;
  std::string warnings = countWord(d.warnings(), "cảnh báo", "warning");
  if (d.hasFatal()) {
    out << "Không dùng được cấu hình — the configuration cannot be used\n";
  } else if (d.hasErrors()) {
    out << "Cấu hình có lỗi: " << countWord(d.errors(), "lỗi", "error") << ", " << warnings << '\n';
  } else {
    std::size_t items = r.config ? r.config->timeline.size() : 0;
    out << "Cấu hình hợp lệ: " << countWord(items, "mục", "item") << ", " << warnings << '\n';
  }
  return d.exitCode();
}

}  // namespace ceremony
