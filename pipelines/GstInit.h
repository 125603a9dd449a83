#pragma once

#include <string>

namespace ceremony::media {
// Initialises GStreamer once per process and checks that the elements ceremonyd needs
// are installed; returns a plain sentence naming what is missing, or an empty string.
std::string initGStreamer();
}  // namespace ceremony::media
