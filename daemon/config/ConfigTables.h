#pragma once
// The readers of a ceremony file's tables, one each (ReadEvent.cpp, ReadSources.cpp, …),
// and what one run over the file carries from one table to the next. ConfigParser calls
// them in the order of readTables(); internal to the parser.

#include <toml++/toml.h>

#include <cstddef>
#include <optional>
#include <set>
#include <string>

#include "config/Config.h"
#include "config/ConfigReading.h"
#include "config/TimeSpec.h"

namespace ceremony::reading {

// One run over one file: the Config being filled and what later tables check against.
struct Reading {
  Reading(Context& c, Config& out) : ctx(c), config(out) {}

  Context& ctx;
  Config& config;
  std::optional<Date> date;               // [event] date: the day of the timeline's clock times
  std::set<std::string> declaredSources;  // [sources] ids, which scenes name
  std::set<std::string> declaredScenes;   // [scenes] ids, which timeline items name
  std::size_t declaredOutputs = 0;        // [outputs] entries, read or not
  Position launchItem;                    // the `launch = true` item's key (line 0: none yet)
};

void readEvent(Reading& run, const toml::node* n);      // [event]
void readProgramme(Reading& run, const toml::node* n);  // [programme]
void readSources(Reading& run, const toml::node* n);    // [sources.<id>]
void readScenes(Reading& run, const toml::node* n);     // [scenes.<id>]
void readOutputs(Reading& run, const toml::node* n);    // [outputs.<id>]
void readTimeline(Reading& run, const toml::node* n);   // [[timeline]]
void planTimeline(Reading& run);                        // the run-of-show as a whole
void readApi(Reading& run, const toml::node* n);        // [api]
void readBridge(Reading& run, const toml::node* n);     // [bridge]
void readWatch(Reading& run, const toml::node* n);      // [watch]

}  // namespace ceremony::reading
