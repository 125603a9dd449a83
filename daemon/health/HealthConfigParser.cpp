#include "health/HealthConfigParser.h"

#include <cmath>
#include <map>
#include <set>

#include "config/TimeSpec.h"
#include "health/PointFields.h"
#include "health/PointsCsv.h"
#include "health/ProbeSpecRules.h"

namespace ceremony::health {

namespace {

namespace fs = std::filesystem;

int lineOf(const toml::node& n) {
  return static_cast<int>(n.source().begin.line);
}
int columnOf(const toml::node& n) {
  return static_cast<int>(n.source().begin.column);
}

// Reads typed values out of one table, reporting wrong types and unknown keys.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string where, const std::string& file, Diagnostics& d)
      : table_(table), where_(std::move(where)), file_(file), d_(d) {}

  void error(const toml::node& n, const std::string& message) {
    d_.error(file_, lineOf(n), columnOf(n), message);
  }
  void error(const std::string& message) { error(table_, message); }

  const toml::node* node(std::string_view key) {
    seen_.insert(std::string(key));
    return table_.get(key);
  }

  std::optional<std::string> string(std::string_view key) {
    const auto* n = node(key);
    if (!n) return std::nullopt;
    if (auto v = n->value<std::string>()) return *v;
    error(*n, where_ + ": '" + std::string(key) + "' must be a string");
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) {
    const auto* n = node(key);
    if (!n) return std::nullopt;
    auto v = n->value_exact<std::int64_t>();
    if (!v) {
      error(*n, where_ + ": '" + std::string(key) + "' must be a whole number");
      return std::nullopt;
    }
    if (*v < min || *v > max) {
      error(*n, where_ + ": '" + std::string(key) + "' must be between " + std::to_string(min) +
                    " and " + std::to_string(max));
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> boolean(std::string_view key) {
    const auto* n = node(key);
    if (!n) return std::nullopt;
    if (auto v = n->value_exact<bool>()) return *v;
    error(*n, where_ + ": '" + std::string(key) + "' must be true or false");
    return std::nullopt;
  }

  // "2s", "500ms", "1m30s". Bare numbers are refused: "2" could mean 2 s or 2 ms.
  std::optional<Millis> duration(std::string_view key) {
    const auto* n = node(key);
    if (!n) return std::nullopt;
    auto s = n->value_exact<std::string>();
    auto d = s ? parseDuration(*s) : std::nullopt;
    if (!d || d->count() <= 0) {
      error(*n, where_ + ": '" + std::string(key) +
                    "' must be a positive duration with a unit, like \"2s\" or \"500ms\"");
      return std::nullopt;
    }
    return d;
  }

  // 0.5 or "50%".
  std::optional<double> share(std::string_view key) {
    const auto* n = node(key);
    if (!n) return std::nullopt;
    std::optional<double> v;
    if (auto f = n->value_exact<double>()) v = *f;
    if (auto s = n->value_exact<std::string>(); s && !s->empty() && s->back() == '%') {
      try {
        std::size_t used = 0;
        double pct = std::stod(s->substr(0, s->size() - 1), &used);
        if (used == s->size() - 1) v = pct / 100.0;
      } catch (const std::exception&) {
      }
    }
    if (!v || !std::isfinite(*v) || *v <= 0.0 || *v > 1.0) {
      error(*n, where_ + ": '" + std::string(key) +
                    "' must be a share above 0 and at most 1, like 0.5 or \"50%\"");
      return std::nullopt;
    }
    return v;
  }

  // Warns about keys nobody asked for: a typo must not silently change nothing.
  void unknownKeys(const std::set<std::string>& allowedExtra = {}) {
    for (const auto& [k, v] : table_) {
      std::string key(k.str());
      if (seen_.count(key) || allowedExtra.count(key)) continue;
      d_.warning(file_, static_cast<int>(k.source().begin.line),
                 static_cast<int>(k.source().begin.column),
                 where_ + " has an unknown key '" + key + "'; it is ignored");
    }
  }

  const toml::table& table() const { return table_; }
  const std::set<std::string>& seen() const { return seen_; }

 private:
  const toml::table& table_;
  std::string where_;
  const std::string& file_;
  Diagnostics& d_;
  std::set<std::string> seen_;
};

std::string resolved(const fs::path& base, const std::string& path) {
  if (path.empty()) return path;
  fs::path p(path);
  return p.is_absolute() ? p.string() : (base / p).lexically_normal().string();
}

void readSettings(const toml::table& t, const std::string& file, const fs::path& base,
                  HealthConfig& out, Diagnostics& d) {
  TableReader r(t, "[health]", file, d);
  auto& s = out.settings;
  if (auto v = r.duration("interval")) s.interval = *v;
  if (const auto* n = r.node("jitter")) {
    // "0s" is a legal jitter (all at once), unlike the other durations.
    auto text = n->value_exact<std::string>();
    auto v = text ? parseDuration(*text) : std::nullopt;
    if (v)
      s.jitter = *v;
    else
      r.error(*n, "[health]: 'jitter' must be a duration with a unit, like \"500ms\"");
  }
  if (auto v = r.integer("down_after", 1, 100)) s.downFailures = int(*v);
  if (auto v = r.integer("down_window", 1, 100)) s.downWindow = int(*v);
  if (auto v = r.integer("up_after", 1, 100)) s.upSuccesses = int(*v);
  if (auto v = r.integer("degraded_after", 1, 100)) s.degradedFailures = int(*v);
  if (auto v = r.duration("degraded_latency")) s.degradedLatency = *v;
  if (auto v = r.share("uplink_share")) s.uplinkShare = *v;
  if (auto v = r.integer("uplink_min_points", 1, 100000)) s.uplinkMinPoints = int(*v);
  if (auto v = r.duration("uplink_window")) s.uplinkWindow = *v;
  if (auto v = r.share("uplink_clear_share")) s.uplinkClearShare = *v;
  if (const auto* n = r.node("alert_hold")) {
    auto text = n->value_exact<std::string>();
    auto v = text ? parseDuration(*text) : std::nullopt;
    if (v)
      s.alertHold = *v;
    else
      r.error(*n, "[health]: 'alert_hold' must be a duration with a unit, like \"3s\"");
  }
  if (auto v = r.integer("history_per_point", 1, 100000)) s.historyPerPoint = std::size_t(*v);
  if (auto v = r.string("event_log")) s.eventLogPath = *v;
  if (auto v = r.string("webhook_url")) {
    if (!v->empty() && v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0)
      r.error(*r.node("webhook_url"),
              "[health]: 'webhook_url' must start with http:// or https://");
    s.webhookUrl = *v;
  }
  if (auto v = r.string("webhook_token_file")) s.webhookTokenFile = resolved(base, *v);
  // A token sent in clear over the province's network is a token given away; on this
  // machine (a local relay) it never leaves it.
  if (!s.webhookTokenFile.empty() && s.webhookUrl.rfind("http://", 0) == 0) {
    std::string_view host = std::string_view(s.webhookUrl).substr(7);
    host = host.substr(0, host.find_first_of("/?#"));
    if (auto at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
    const bool local = host.rfind("127.", 0) == 0 || host.rfind("localhost", 0) == 0 ||
                       host.rfind("[::1]", 0) == 0;
    if (!local)
      r.error(*r.node("webhook_url"),
              "[health]: 'webhook_url' is http:// and 'webhook_token_file' gives it a token: "
              "the token would cross the network in clear; use https://");
  }
  // Each retry waits longer: 10 already spans many minutes, more would hold every later
  // alert back for hours behind one dead receiver.
  if (auto v = r.integer("webhook_retries", 0, 10)) s.webhookRetries = int(*v);
  if (auto v = r.duration("webhook_backoff")) s.webhookBackoff = *v;
  if (auto v = r.string("points_csv")) out.pointsCsv = resolved(base, *v);
  r.unknownKeys();

  if (s.downWindow < s.downFailures)
    r.error("[health]: down_window (" + std::to_string(s.downWindow) +
            ") must be at least down_after (" + std::to_string(s.downFailures) + ")");
  if (s.degradedFailures > s.downFailures)
    r.error("[health]: degraded_after (" + std::to_string(s.degradedFailures) +
            ") must not exceed down_after (" + std::to_string(s.downFailures) + ")");
  if (s.jitter >= s.interval)
    r.error("[health]: jitter (" + formatDuration(s.jitter) + ") must be shorter than interval (" +
            formatDuration(s.interval) + ")");
}

std::optional<ProbeSpec> readProbe(const toml::table& t, const std::string& where,
                                   const std::string& file, const fs::path& base, Diagnostics& d) {
  TableReader r(t, where, file, d);
  ProbeSpec spec;
  spec.origin = {file, lineOf(t), columnOf(t)};
  const auto errorsBefore = d.errors();
  auto kind = r.string("kind");
  if (!kind) {
    if (!r.node("kind")) r.error(where + ": thiếu 'kind' của phép thử (missing probe kind)");
    return std::nullopt;
  }
  spec.kind = *kind;
  if (!probeKindExists(spec.kind)) {
    r.error(*r.node("kind"),
            where + ": loại phép thử \"" + spec.kind +
                "\" không có (unknown probe kind); dùng một trong: " + probeKindList());
    return std::nullopt;
  }
  if (auto v = r.string("name")) spec.name = *v;
  if (auto v = r.string("url")) spec.url = *v;
  if (auto v = r.string("host")) spec.host = *v;
  if (auto v = r.integer("port", 1, 65535)) spec.port = int(*v);
  if (auto v = r.string("target")) {
    if (auto e = readProbeTarget(*v, spec); !e.empty())
      r.error(*r.node("target"), where + ": " + e);
  }
  if (auto v = r.duration("connect_timeout")) spec.connectTimeout = *v;
  if (auto v = r.duration("timeout")) spec.timeout = *v;
  if (auto v = r.integer("expect_status", 0, 599)) spec.expectStatus = int(*v);
  if (auto v = r.string("body_keyword")) spec.bodyKeyword = *v;
  if (auto v = r.boolean("verify_tls")) spec.verifyTls = *v;
  if (auto v = r.duration("heartbeat_timeout")) spec.heartbeatTimeout = *v;
  if (auto v = r.string("token_file")) spec.tokenFile = resolved(base, *v);
  if (findProbeSpecRule(spec.kind)) {
    r.unknownKeys();
  } else {
    // A kind without rules here (a newer prober) takes its own settings as params.
    for (const auto& [k, v] : t) {
      std::string key(k.str());
      if (r.seen().count(key)) continue;
      if (auto s = v.value<std::string>())
        spec.params[key] = *s;
      else if (auto i = v.value_exact<std::int64_t>())
        spec.params[key] = std::to_string(*i);
      else if (auto b = v.value_exact<bool>())
        spec.params[key] = *b ? "true" : "false";
      else
        r.error(v, where + ": '" + key + "' must be a string, number or true/false");
    }
  }
  if (d.errors() != errorsBefore) return std::nullopt;
  if (auto e = checkProbeSpec(spec); !e.empty()) {
    r.error(where + ": " + e);
    return std::nullopt;
  }
  return spec;
}

void readPoint(const toml::table& t, int index, const std::string& file, const fs::path& base,
               HealthConfig& out, Diagnostics& d) {
  std::string where = "[[points]] #" + std::to_string(index + 1);
  TableReader r(t, where, file, d);
  const auto errorsBefore = d.errors();
  PointConfig p;
  p.origin = {file, lineOf(t), columnOf(t)};
  p.id = r.string("id").value_or("");
  if (!p.id.empty()) where = "điểm cầu \"" + p.id + "\"";
  if (auto e = checkPointId(p.id); !e.empty()) {
    if (const auto* n = r.node("id"))
      r.error(*n, where + ": " + e);
    else
      r.error(where + ": " + e);
  }
  p.name = r.string("name").value_or("");
  if (p.name.empty()) r.error(where + ": thiếu tên điểm cầu 'name' (missing name)");
  if (auto kind = r.string("kind")) {
    if (auto k = canonicalPointKind(*kind))
      p.kind = *k;
    else
      r.error(*r.node("kind"), where + ": loại điểm cầu \"" + *kind +
                                   "\" không hợp lệ; dùng xã, phường hoặc đặc khu (bad kind)");
  } else if (!r.node("kind")) {
    r.error(where + ": thiếu 'kind' (xã, phường hoặc đặc khu)");
  }
  p.contactName = r.string("contact_name").value_or("");
  p.contactPhone = r.string("contact_phone").value_or("");
  p.group = r.string("group").value_or("");
  if (auto e = checkPhone(p.contactPhone); !e.empty())
    r.error(*r.node("contact_phone"), where + ": " + e);
  else if (p.contactPhone.empty())
    d.warning(file, p.origin.line, p.origin.column,
              where + ": chưa có số điện thoại liên hệ (no contact phone)");

  if (const auto* probes = r.node("probes")) {
    if (const auto* arr = probes->as_array()) {
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const auto* pt = (*arr)[i].as_table();
        if (!pt) {
          r.error((*arr)[i],
                  where + ": each probe must be a table like {kind = \"http\", url = \"…\"}");
          continue;
        }
        if (auto spec = readProbe(*pt, where + " probe #" + std::to_string(i + 1), file, base, d))
          p.probes.push_back(std::move(*spec));
      }
    } else {
      r.error(*probes, where + ": 'probes' must be a list like [{kind = \"http\", url = \"…\"}]");
    }
  } else {
    d.warning(file, p.origin.line, p.origin.column,
              where + ": không có phép thử nào; trạng thái sẽ luôn là \"chưa rõ\" (no probes)");
  }
  r.unknownKeys();
  if (auto e = nameProbes(p.probes); !e.empty()) r.error(where + ": " + e);
  if (d.errors() != errorsBefore) return;  // reported; --check fails, nothing half-read runs
  out.points.push_back(std::move(p));
}

}  // namespace

void parseHealthSection(const toml::table& root, const std::string& file,
                        const std::filesystem::path& baseDir, HealthConfig& out,
                        Diagnostics& diagnostics) {
  if (const auto* event = root.get_as<toml::table>("event")) {
    if (auto offset = event->get_as<std::string>("utc_offset"))
      if (auto minutes = parseUtcOffset(offset->get())) out.settings.utcOffsetMinutes = *minutes;
  }
  if (const auto* health = root.get("health")) {
    if (const auto* t = health->as_table())
      readSettings(*t, file, baseDir, out, diagnostics);
    else
      diagnostics.error(file, lineOf(*health), columnOf(*health), "'health' must be a table");
  }
  if (const auto* csv = root.get("points_csv")) {
    if (auto v = csv->value<std::string>())
      out.pointsCsv = resolved(baseDir, *v);
    else
      diagnostics.error(file, lineOf(*csv), columnOf(*csv),
                        "'points_csv' must be the path of a CSV file, as a string");
  }
  if (const auto* points = root.get("points")) {
    if (const auto* arr = points->as_array()) {
      for (std::size_t i = 0; i < arr->size(); ++i) {
        if (const auto* t = (*arr)[i].as_table())
          readPoint(*t, int(i), file, baseDir, out, diagnostics);
        else
          diagnostics.error(file, lineOf((*arr)[i]), columnOf((*arr)[i]),
                            "each [[points]] entry must be a table");
      }
    } else {
      diagnostics.error(file, lineOf(*points), columnOf(*points),
                        "'points' must be written as [[points]] tables");
    }
  }
  checkUniqueIds(out.points, diagnostics);
  if (!out.pointsCsv.empty()) {
    const fs::path csvPath(out.pointsCsv);
    // Messages name the CSV relative to the config, as the user wrote it.
    std::error_code ec;
    auto shown = fs::relative(csvPath, baseDir, ec);
    const std::string display = ec || shown.empty() ? csvPath.string() : shown.string();
    std::map<std::string, Origin> inToml;
    for (const auto& p : out.points) inToml.emplace(p.id, p.origin);
    // Duplicates inside the CSV are reported by the CSV reader; here only CSV vs TOML.
    for (auto& p : loadPointsCsv(csvPath, display, diagnostics)) {
      if (auto it = inToml.find(p.id); it != inToml.end()) {
        diagnostics.error(p.origin.file, p.origin.line, p.origin.column,
                          "mã điểm cầu \"" + p.id + "\" bị trùng, đã có ở " + it->second.file +
                              ":" + std::to_string(it->second.line) + " (duplicate id)");
        continue;
      }
      for (auto& probe : p.probes)
        if (!probe.tokenFile.empty())
          probe.tokenFile = resolved(csvPath.parent_path(), probe.tokenFile);
      out.points.push_back(std::move(p));
    }
  }
}

}  // namespace ceremony::health
