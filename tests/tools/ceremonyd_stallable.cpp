// ceremonyd with one test-only addition: SIGUSR1 blocks its event loop for 6 s, as a hung
// handler would. SystemdTest uses it to see the watchdog pings stop (so systemd would
// restart the daemon). Never installed; ceremonyd itself has no such signal.
#include <csignal>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <memory>
#include <thread>

#include "app/Daemon.h"

namespace {

void stallOnSigusr1(boost::asio::io_context& io) {
  auto signals = std::make_shared<boost::asio::signal_set>(io, SIGUSR1);
  auto wait = std::make_shared<std::function<void()>>();
  *wait = [signals, wait] {
    signals->async_wait([signals, wait](const boost::system::error_code& ec, int) {
      if (ec) return;
      std::this_thread::sleep_for(std::chrono::seconds(6));  // the event loop is stuck
      (*wait)();
    });
  };
  (*wait)();
}

}  // namespace

int main(int argc, char** argv) {
  ceremony::testHook = &stallOnSigusr1;
  return ceremony::runDaemon(argc, argv);
}
