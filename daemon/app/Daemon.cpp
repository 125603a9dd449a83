#include "app/Daemon.h"

#include <cstdio>

namespace ceremony {
int runDaemon(int, char**) {
  std::puts("ceremonyd: not yet");
  return 0;
}
}  // namespace ceremony
