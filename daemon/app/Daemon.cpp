#include "app/Daemon.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <iostream>

#include "app/Ceremony.h"
#include "app/Options.h"
#include "config/ConfigParser.h"
#include "pipelines/GstInit.h"

namespace ceremony {

int runDaemon(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  ParsedOptions parsed = parseOptions(args);
  if (!parsed.error.empty()) {
    std::cerr << "ceremonyd: " << parsed.error << "\n";
    return 2;
  }
  const Options& options = parsed.options;
  if (options.help) {
    std::cout << usage();
    return 0;
  }
  if (options.version) {
    std::cout << "ceremonyd 0.1.0\n";
    return 0;
  }
  if (options.check) return checkConfigMain(options.configPath, std::cout);

  // Logs go to stderr (the journal under systemd); stdout stays for answers like --check.
  spdlog::set_default_logger(spdlog::stderr_color_mt("ceremonyd"));
  spdlog::set_level(spdlog::level::from_str(options.logLevel));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

  std::optional<Config> config = loadForRun(options);
  if (!config) {
    spdlog::critical("Cấu hình không dùng được; xem các lỗi ở trên (ceremonyd --check)");
    return 1;
  }
  if (std::string missing = media::initGStreamer(); !missing.empty()) {
    spdlog::critical("{}", missing);
    return 1;
  }
  boost::asio::io_context io;
  Ceremony ceremony(std::move(*config), options, io);
  if (!ceremony.start()) return 1;
  io.run();
  return ceremony.exitCode();
}

}  // namespace ceremony
