// [watch]: what the daemon listens to and looks at while the ceremony runs (the programme's
// loudness and silence, the live inputs' frozen or black pictures).
#include <sstream>
#include <string>

#include "config/ConfigTables.h"

namespace ceremony::reading {

namespace {

std::string number(double d) {
  std::ostringstream out;
  out << d;
  return out.str();
}

// A number in [lo, hi] (in `unit`), or an error that says what the key means.
void readLevel(Context& ctx, Fields& f, const toml::table& t, std::string_view key, double lo,
               double hi, std::string_view unit, std::string_view meaning, double* into) {
  const auto v = f.number(key);
  if (!v) return;
  if (*v < lo || *v > hi) {
    ctx.error(positionOf(*t.get(key)), "[watch] " + std::string(key) + " must be between " +
                                           number(lo) + " and " + number(hi) + " " +
                                           std::string(unit) + " (" + std::string(meaning) +
                                           "), not " + shown(*t.get(key)));
    return;
  }
  *into = *v;
}

// A duration in [lo, hi], or an error that says what the key means.
void readSpan(Context& ctx, Fields& f, std::string_view key, Millis lo, Millis hi,
              std::string_view meaning, Millis* into) {
  const toml::node* n = f.take(key);
  if (!n) return;
  const auto v = durationOf(ctx, *n, f, key);
  if (!v) return;
  if (*v < lo || *v > hi) {
    ctx.error(positionOf(*n), "[watch] " + std::string(key) + " must be between " +
                                  std::to_string(lo.count() / 1000) + "s and " +
                                  std::to_string(hi.count() / 1000) + "s (" + std::string(meaning) +
                                  "), not " + shown(*n));
    return;
  }
  *into = *v;
}

}  // namespace

void readWatch(Reading& run, const toml::node* n) {
  if (!n) return;
  const toml::table* t = expectTable(run.ctx, n, "[watch]",
                                     "[watch] with the thresholds, e.g. silence_after = \"10s\"");
  if (!t) return;
  Fields f(run.ctx, *t, "[watch]");
  WatchConfig& w = run.config.watch;
  w.pos = f.pos();
  if (auto v = f.boolean("enabled")) w.enabled = *v;
  Context& c = run.ctx;
  readLevel(c, f, *t, "silence_below", -90, -20, "LUFS",
            "the momentary loudness under which the programme counts as silent",
            &w.silenceBelowLufs);
  readSpan(c, f, "silence_after", Millis{1000}, Millis{600000},
           "how long the programme may be silent in an item that expects sound", &w.silenceAfter);
  readLevel(c, f, *t, "true_peak_max", -20, 0, "dBTP", "the true peak over which sound clips",
            &w.truePeakMaxDbtp);
  readLevel(c, f, *t, "target", -40, -5, "LUFS",
            "the short-term loudness the programme should keep", &w.targetLufs);
  readLevel(c, f, *t, "tolerance", 1, 20, "LU", "how far from the target is still fine",
            &w.toleranceLu);
  readSpan(c, f, "off_target_after", Millis{10000}, Millis{3600000},
           "how long the loudness may stay outside target ± tolerance", &w.offTargetAfter);
  if (auto v = f.boolean("auto_gain")) w.autoGain = *v;
  readLevel(c, f, *t, "max_gain", 0, 30, "dB", "how far the automatic gain may turn up or down",
            &w.maxGainDb);
  readSpan(c, f, "freeze_after", Millis{1000}, Millis{600000},
           "how long a live input may show the same frame before its card replaces it",
           &w.freezeAfter);
  readSpan(c, f, "black_after", Millis{1000}, Millis{600000},
           "how long a live input may be black before an alert", &w.blackAfter);
  f.reportUnread({"enabled", "silence_below", "silence_after", "true_peak_max", "target",
                  "tolerance", "off_target_after", "auto_gain", "max_gain", "freeze_after",
                  "black_after"});
}

}  // namespace ceremony::reading
