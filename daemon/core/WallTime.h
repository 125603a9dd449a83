#pragma once
// The daemon's one time type: instants read on the wall clock, to the millisecond, and
// spans between them. At the bottom of the include graph, so that config, health, the
// timeline and the app name the same types without including one another.

#include <chrono>

namespace ceremony {

using WallClock = std::chrono::system_clock;
using WallTime = std::chrono::time_point<WallClock, std::chrono::milliseconds>;
using Millis = std::chrono::milliseconds;

}  // namespace ceremony
