#pragma once

namespace ceremony {
// Parses the command line, then checks, or runs the ceremony until SIGTERM/SIGINT.
int runDaemon(int argc, char** argv);
}  // namespace ceremony
