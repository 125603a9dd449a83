#include "app/Daemon.h"

int main(int argc, char** argv) {
  return ceremony::runDaemon(argc, argv);
}
