#include "app/Daemon.h"

#include <sys/resource.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "app/Ceremony.h"
#include "app/Options.h"
#include "app/OrcCodeMemory.h"
#include "config/ConfigParser.h"
#include "config/Secrets.h"
#include "pipelines/GstInit.h"

namespace ceremony {

namespace {

// True when stderr is the journal stream systemd connected (it exports that stream's
// "device:inode" as JOURNAL_STREAM). Checking the inode, not only that the variable is
// set, keeps a child that inherited the variable but writes elsewhere on the console.
bool stderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device &&
         static_cast<unsigned long long>(st.st_ino) == inode;
}

// Under systemd: straight to the journal with each line's priority (journalctl -p warning
// shows the problems) and without our own timestamp, which the journal keeps anyway.
// Otherwise: the console on stderr; stdout stays for answers like --check.
// Every line leaves through this: a secret the daemon holds (config/Secrets.h) is replaced
// by "***" whoever wrote the line (ours, GStreamer's error text, a library's).
class ScrubbingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ScrubbingSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string clean =
        scrubSecrets(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy(msg);
    copy.payload = clean;
    inner_->log(copy);
  }
  void flush_() override { inner_->flush(); }
  // The pattern is the inner sink's: it formats (and colours) the line.
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> f) override {
    inner_->set_formatter(std::move(f));
  }

 private:
  spdlog::sink_ptr inner_;
};

void setUpLogging(const std::string& level) {
  if (stderrIsJournal())
    spdlog::set_default_logger(spdlog::systemd_logger_mt("ceremonyd", "ceremonyd"));
  else
    spdlog::set_default_logger(spdlog::stderr_color_mt("ceremonyd"));
  for (auto& sink : spdlog::default_logger()->sinks()) sink = std::make_shared<ScrubbingSink>(sink);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
}

}  // namespace

void (*testHook)(boost::asio::io_context& io) = nullptr;

namespace {

// As nginx's worker_rlimit_nofile: the soft limit up to the hard one (the unit sets both with
// LimitNOFILE=, where the system call filter forbids this), so connections, recordings,
// outputs, probes and the bridge's sockets never meet the 1024 a login shell gives.
void raiseDescriptorLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  const rlim_t want = std::min<rlim_t>(r.rlim_max, 65536);
  if (r.rlim_cur < want) {
    const rlim_t before = r.rlim_cur;
    r.rlim_cur = want;
    if (::setrlimit(RLIMIT_NOFILE, &r) != 0) r.rlim_cur = before;
  }
  if (r.rlim_cur < 4096)
    spdlog::warn("Chỉ được mở {} tệp/kết nối cùng lúc (LimitNOFILE); nên từ 4096 trở lên",
                 static_cast<unsigned long long>(r.rlim_cur));
}

int runDaemonUnguarded(int argc, char** argv) {
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

  setUpLogging(options.logLevel);
  raiseDescriptorLimit();

  std::optional<Config> config = loadForRun(options);
  if (!config) {
    spdlog::critical("Cấu hình không dùng được; xem các lỗi ở trên (ceremonyd --check)");
    return 1;
  }
  if (fallBackToOrcBackupIfNeeded())
    spdlog::warn(
        "ORC: không có vùng nhớ ghi+chạy mã (MemoryDenyWriteExecute và các thư mục noexec); "
        "dùng mã C dự phòng ORC_CODE=backup, tốn CPU hơn");
  if (std::string missing = media::initGStreamer(); !missing.empty()) {
    spdlog::critical("{}", missing);
    return 1;
  }
  boost::asio::io_context io;
  Ceremony ceremony(std::move(*config), options, io);
  if (!ceremony.start()) return 1;
  if (testHook) testHook(io);
  io.run();
  return ceremony.exitCode();
}

}  // namespace

int runDaemon(int argc, char** argv) {
  // The last line of defence: whatever escaped is said in the journal in one line and the
  // process exits with a failure (systemd restarts it), instead of std::terminate's abort
  // and a core dump with nothing said.
  try {
    return runDaemonUnguarded(argc, argv);
  } catch (const std::exception& e) {
    spdlog::critical("Lỗi không lường trước, dừng ceremonyd: {}", e.what());
  } catch (...) {
    spdlog::critical("Lỗi không lường trước, dừng ceremonyd");
  }
  return 1;
}

}  // namespace ceremony
