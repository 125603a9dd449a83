// [scenes.<id>]: what the programme shows: a source, a slate, a clip, two sources.
#include "config/ConfigTables.h"

namespace ceremony::reading {

namespace {

const std::vector<std::string_view> kInsetPositions = {"top-left", "top-right", "bottom-left",
                                                       "bottom-right"};

const std::vector<KindKeys> kSceneKinds = {{"source", {"source"}},
                                           {"slate", {"text", "countdown_to", "background"}},
                                           {"clip", {"file", "test_pattern", "test_duration"}},
                                           {"pip", {"main", "inset", "position"}},
                                           {"side_by_side", {"left", "right"}},
                                           {"mosaic", {"grid", "points", "page", "audio"}}};

bool isHexColour(std::string_view s) {
  if (s.size() != 7 && s.size() != 9) return false;
  if (s[0] != '#') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

std::string sourceRef(Reading& run, Fields& f, const toml::table& t, std::string_view key) {
  auto v = f.requiredText(key, " (the id of a source in [sources])");
  if (!v) return {};
  if (!run.declaredSources.count(*v))
    run.ctx.error(positionOf(*t.get(key)), f.where() + " " + std::string(key) + " " + inQuotes(*v) +
                                               " is not a source in [sources]" +
                                               suggestion(*v, run.declaredSources));
  return *v;
}

void readClip(Reading& run, Fields& f, const toml::table& t, ClipConfig& clip) {
  bool hasFile = f.has("file"), hasTest = f.has("test_pattern");
  if (hasFile && hasTest) {
    run.ctx.error(positionOf(*t.get("test_pattern")),
                  f.where() + " has both file and test_pattern; a clip plays one or the other");
  } else if (!hasFile && !hasTest) {
    run.ctx.error(f.pos(), f.where() +
                               " has no file (the clip to play, e.g. "
                               "\"media/phong-su.mp4\") and no test_pattern");
  }
  if (auto v = f.text("file")) {
    fs::path p = run.ctx.resolve(*v);
    if (v->empty() || !isRegularFile(p))
      run.ctx.error(positionOf(*t.get("file")), "the clip file " + inQuotes(*v) + " of " +
                                                    f.where() + " does not exist (looked for " +
                                                    inQuotes(p.string()) + ")");
    clip.file = p.string();
  }
  if (auto v = f.text("test_pattern")) {
    if (contains(kTestPatterns, *v))
      clip.testPattern = *v;
    else
      run.ctx.error(positionOf(*t.get("test_pattern")),
                    f.where() + " test_pattern " + inQuotes(*v) + " is not a test pattern" +
                        suggestion(*v, kTestPatterns));
  }
  if (const toml::node* d = f.take("test_duration")) {
    if (auto v = durationOf(run.ctx, *d, f, "test_duration")) {
      if (v->count() <= 0)
        run.ctx.error(positionOf(*d), f.where() + " test_duration must be longer than 0");
      else
        clip.testDurationSeconds = static_cast<double>(v->count()) / 1000.0;
    }
  } else if (hasTest && !hasFile) {
    run.ctx.error(f.pos(), f.where() +
                               " has a test_pattern but no test_duration (how long "
                               "the generated clip plays, e.g. \"20s\")");
  }
}

// grid = "3x3": columns × rows, each 1 to 6.
void readMosaic(Reading& run, Fields& f, const toml::table& t, SceneConfig& s) {
  if (auto v = f.text("grid")) {
    int c = 0, r = 0;
    char x = 0, extra = 0;
    if (std::sscanf(v->c_str(), "%d%c%d%c", &c, &x, &r, &extra) != 3 || (x != 'x' && x != 'X') ||
        c < 1 || c > 6 || r < 1 || r > 6)
      run.ctx.error(positionOf(*t.get("grid")),
                    f.where() + " grid " + inQuotes(*v) +
                        " is not columns×rows of 1 to 6 each; write it like \"3x3\" or \"4x4\"");
    else
      s.columns = c, s.rows = r;
  }
  if (const toml::node* n = f.take("points")) {
    const toml::array* list = n->as_array();
    if (!list) {
      f.typeError(*n, "points", "a list of connection point ids in quotes");
    } else {
      for (const toml::node& e : *list) {
        const auto* id = e.as_string();
        if (!id || id->get().empty()) {
          run.ctx.error(positionOf(e), f.where() + " points: " + shown(e) +
                                           " is not a connection point id (like \"nghia-hanh\")");
          continue;
        }
        if (std::find(s.points.begin(), s.points.end(), id->get()) != s.points.end())
          run.ctx.warning(positionOf(e),
                          f.where() + " points names " + inQuotes(id->get()) + " twice");
        s.points.push_back(id->get());
        s.pointsAt.push_back(positionOf(e));
      }
    }
  }
  if (const toml::node* d = f.take("page")) {
    if (auto v = durationOf(run.ctx, *d, f, "page")) {
      if (v->count() < 2000)
        run.ctx.error(positionOf(*d), f.where() +
                                          " page must be at least 2s (each page must be "
                                          "seen before the next)");
      else
        s.page = *v;
    }
  }
  if (f.has("audio")) s.audio = sourceRef(run, f, t, "audio");
}

}  // namespace

void readScenes(Reading& run, const toml::node* n) {
  forEachEntry(
      run.ctx, n, "scenes",
      [&](const toml::key& key, const toml::table& t, const std::string& where) {
        Fields f(run.ctx, t, where);
        SceneConfig s;
        s.id = std::string(key.str());
        s.pos = f.pos();
        run.declaredScenes.insert(s.id);
        if (auto v = f.text("label")) s.label = *v;
        auto kind = readKind(run.ctx, f, key, "scene", kSceneKinds);
        if (!kind) return;
        if (*kind == "source") {
          s.kind = SceneKind::Source;
          s.source = sourceRef(run, f, t, "source");
        } else if (*kind == "slate") {
          s.kind = SceneKind::Slate;
          if (auto v = f.text("text")) s.slate.text = *v;
          if (const toml::node* c = f.take("countdown_to")) {
            if (auto v = clockOf(run.ctx, *c, f, "countdown_to"))
              s.slate.countdownTo = formatClock(*v);
          }
          if (auto v = f.text("background")) {
            if (isHexColour(*v))
              s.slate.background = *v;
            else
              run.ctx.error(positionOf(*t.get("background")),
                            where + " background " + inQuotes(*v) +
                                " is not a colour; write it as \"#RRGGBB\", e.g. \"#7a0c0c\"");
          }
        } else if (*kind == "clip") {
          s.kind = SceneKind::Clip;
          readClip(run, f, t, s.clip);
        } else if (*kind == "pip") {
          s.kind = SceneKind::PictureInPicture;
          s.main = sourceRef(run, f, t, "main");
          s.inset = sourceRef(run, f, t, "inset");
          if (!s.main.empty() && s.main == s.inset)
            run.ctx.warning(
                positionOf(*t.get("inset")),
                where + " shows source " + inQuotes(s.main) + " twice (main and inset)");
          if (auto v = f.text("position")) {
            if (contains(kInsetPositions, *v))
              s.insetPosition = *v;
            else
              run.ctx.error(positionOf(*t.get("position")),
                            where + " position " + inQuotes(*v) + " is not a corner; use " +
                                joinList(kInsetPositions) + suggestion(*v, kInsetPositions));
          }
        } else if (*kind == "mosaic") {
          s.kind = SceneKind::Mosaic;
          readMosaic(run, f, t, s);
        } else {
          s.kind = SceneKind::SideBySide;
          s.main = sourceRef(run, f, t, "left");
          s.inset = sourceRef(run, f, t, "right");
        }
        f.reportUnread({"kind", "label"}, kSceneKinds, *kind);
        run.config.scenes.push_back(std::move(s));
      });
}

}  // namespace ceremony::reading
