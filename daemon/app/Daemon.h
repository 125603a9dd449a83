#pragma once

namespace boost::asio {
class io_context;
}

namespace ceremony {
// Parses the command line, then checks, or runs the ceremony until SIGTERM/SIGINT.
int runDaemon(int argc, char** argv);

// Null in ceremonyd. A test program (tests/tools/ceremonyd_stallable.cpp) sets it before
// runDaemon() to add test-only behaviour to the event loop, e.g. a signal that stalls it.
extern void (*testHook)(boost::asio::io_context& io);
}  // namespace ceremony
