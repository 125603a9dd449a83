#include "config/ConfigParser.h"

#include <algorithm>

#include <toml++/toml.h>

#include <climits>
#include <fstream>
#include <iterator>
#include <map>
#include <ostream>
#include <vector>

#include "config/ConfigReading.h"
#include "config/ConfigTables.h"
#include "config/Secrets.h"
#include "health/HealthConfigParser.h"

namespace ceremony {

namespace {

namespace fs = std::filesystem;
using namespace reading;

constexpr std::uintmax_t kMaxConfigBytes = 8u << 20;

const std::vector<std::string_view> kTopLevel = {"event",   "programme",  "sources", "scenes",
                                                 "outputs", "timeline",   "health",  "points",
                                                 "api",     "points_csv", "bridge",  "watch"};

void checkTopLevel(Context& ctx, const toml::table& root) {
  for (auto&& [k, v] : root) {
    std::string key(k.str());
    if (contains(kTopLevel, key)) continue;
    if (v.is_table() || v.is_array_of_tables())
      ctx.warning(positionOf(k.source()), "unknown table [" + key + "], probably a typo" +
                                              suggestion(key, kTopLevel) + "; it is ignored");
    else
      ctx.warning(positionOf(k.source()), "unknown key '" + key +
                                              "' at the top of the file, probably a typo" +
                                              suggestion(key, kTopLevel) + "; it is ignored");
  }
}

// Every table but the connection points (health/HealthConfigParser), in the order their
// diagnostics have always been made: later tables check names the earlier ones declared.
void readTables(Context& ctx, Config& config, const toml::table& root) {
  Reading run(ctx, config);
  checkTopLevel(ctx, root);
  readEvent(run, root.get("event"));
  readProgramme(run, root.get("programme"));
  readSources(run, root.get("sources"));
  readScenes(run, root.get("scenes"));
  readOutputs(run, root.get("outputs"));
  readTimeline(run, root.get("timeline"));
  planTimeline(run);
  readApi(run, root.get("api"));
  readBridge(run, root.get("bridge"));
  readWatch(run, root.get("watch"));
}

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

// A `point` source names a connection point: one not among the points could never send.
void checkPointSources(const Config& config, const std::string& displayName,
                       Diagnostics& diagnostics) {
  for (const auto& s : config.sources) {
    if (s.kind != SourceKind::Point || s.point.empty()) continue;
    const bool known = std::any_of(config.health.points.begin(), config.health.points.end(),
                                   [&](const auto& p) { return p.id == s.point; });
    if (!known)
      diagnostics.error(displayName, s.pointAt.line, s.pointAt.column,
                        "[sources." + s.id + "] point \"" + s.point +
                            "\" is not a connection point ([[points]] or points_csv); its "
                            "return feed could never arrive");
    else if (!config.bridge.enabled)
      diagnostics.error(displayName, s.pointAt.line, s.pointAt.column,
                        "[sources." + s.id +
                            "] a point's return feed comes over the video "
                            "bridge, which is off: add [bridge]");
  }
}

// A mosaic shows points' return feeds: each point it names must be one, and the bridge on.
void checkMosaics(const Config& config, const std::string& displayName, Diagnostics& diagnostics) {
  for (const auto& scene : config.scenes) {
    if (scene.kind != SceneKind::Mosaic) continue;
    if (!config.bridge.enabled)
      diagnostics.error(displayName, scene.pos.line, scene.pos.column,
                        "[scenes." + scene.id +
                            "] a mosaic shows the points' return feeds, which come over the "
                            "video bridge, which is off: add [bridge]");
    for (std::size_t i = 0; i < scene.points.size(); ++i) {
      const bool known = std::any_of(config.health.points.begin(), config.health.points.end(),
                                     [&](const auto& p) { return p.id == scene.points[i]; });
      if (!known)
        diagnostics.error(displayName, scene.pointsAt[i].line, scene.pointsAt[i].column,
                          "[scenes." + scene.id + "] point \"" + scene.points[i] +
                              "\" is not a connection point ([[points]] or points_csv)");
    }
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
    readTables(ctx, config, root);
    try {
      health::parseHealthSection(root, displayName, base, config.health, result.diagnostics);
    } catch (const std::exception& e) {
      result.diagnostics.error(displayName, 0, 0,
                               "the connection points could not be read: " + std::string(e.what()));
    }
    checkPointTokens(config.health, displayName, result.diagnostics);
    checkPointSources(config, displayName, result.diagnostics);
    checkMosaics(config, displayName, result.diagnostics);
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
