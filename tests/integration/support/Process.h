#pragma once
// A child process owned by a test: spawned in its own process group with its output in a
// log file, killed (whole group) and reaped when the test is done, so a failing test never
// leaves a daemon, an nginx or an ffmpeg behind. Header-only: tests/CMakeLists.txt globs
// only tests/integration/*.cpp.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace ceremony::testing {

using namespace std::chrono_literals;

inline std::string readText(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void writeText(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

// The last `lines` lines of a log, for failure messages that show what a peer said.
inline std::string tailOf(const std::string& text, int lines = 30) {
  std::size_t at = text.size();
  if (at > 0 && text.back() == '\n') --at;  // a final newline ends the last line
  for (int n = 0; n < lines; ++n) {
    const auto newline = at == 0 ? std::string::npos : text.rfind('\n', at - 1);
    if (newline == std::string::npos) return text;
    at = newline;
  }
  return text.substr(at + 1);
}

struct ProcessOptions {
  ProcessOptions(std::filesystem::path log, std::filesystem::path errorLog = {},
                 std::vector<std::string> env = {}, std::filesystem::path workingDir = {})
      : log(std::move(log)),
        errorLog(std::move(errorLog)),
        env(std::move(env)),
        workingDir(std::move(workingDir)) {}

  std::filesystem::path log;         // stdout (and stderr unless errorLog is set); required
  std::filesystem::path errorLog;    // stderr on its own, e.g. to parse ffprobe's stdout
  std::vector<std::string> env;      // "NAME=value" added to (or replacing in) the environment
  std::filesystem::path workingDir;  // empty: the test's own
};

class Process {
 public:
  // argv[0] is looked up in PATH when it has no slash. Throws when it cannot be started.
  Process(std::vector<std::string> argv, ProcessOptions options)
      : argv_(std::move(argv)), options_(std::move(options)) {
    if (argv_.empty()) throw std::invalid_argument("Process: empty argv");
    if (options_.log.empty()) throw std::invalid_argument("Process: no log file");
    start();
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() { kill(); }

  pid_t pid() const { return pid_; }
  const std::filesystem::path& logPath() const { return options_.log; }
  std::string log() const { return readText(options_.log); }
  std::string errorLog() const {
    return options_.errorLog.empty() ? log() : readText(options_.errorLog);
  }
  std::string commandLine() const {
    std::string line;
    for (const auto& a : argv_) line += (line.empty() ? "" : " ") + a;
    return line;
  }

  bool running() { return !poll(); }

  // Exit status once the process has ended: the exit code, or 128 + signal number as a
  // shell would say. nullopt when it is still running at the deadline.
  std::optional<int> waitFor(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!poll()) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(10ms);
    }
    return exitStatus_;
  }
  std::optional<int> exitStatus() {
    poll();
    return exitStatus_;
  }

  // Sends to the whole process group (the child and anything it started).
  void signal(int sig) {
    if (!poll()) ::kill(-pid_, sig);
  }

  // SIGTERM, then SIGKILL after `grace`; always reaps. Returns the exit status.
  int stop(std::chrono::milliseconds grace = 5s) {
    signal(SIGTERM);
    if (auto status = waitFor(grace)) {
      kill();  // stragglers of the group
      return *status;
    }
    kill();
    return *exitStatus_;
  }

  void kill() {
    if (pid_ <= 0 || groupKilled_) return;
    ::kill(-pid_, SIGKILL);  // the group, even when the leader has already exited
    groupKilled_ = true;
    if (!exitStatus_) {
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      exitStatus_ = decode(status);
    }
  }

 private:
  static int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
  }

  bool poll() {
    if (exitStatus_) return true;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exitStatus_ = decode(status);
      return true;
    }
    return false;
  }

  void start() {
    // Everything the child needs is prepared before fork: after it only async-signal-safe
    // calls are allowed.
    std::vector<char*> args;
    for (auto& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);

    std::vector<std::string> envText;
    for (char** e = environ; *e; ++e) {
      const std::string entry = *e;
      const auto name = entry.substr(0, entry.find('=') + 1);
      bool replaced = false;
      for (const auto& add : options_.env) replaced |= add.rfind(name, 0) == 0;
      if (!replaced) envText.push_back(entry);
    }
    for (const auto& add : options_.env) envText.push_back(add);
    std::vector<char*> envp;
    for (auto& e : envText) envp.push_back(e.data());
    envp.push_back(nullptr);

    // PATH lookup happens here, not in the child, so a missing program is reported clearly.
    std::string program = argv_[0];
    if (program.find('/') == std::string::npos) {
      const char* path = std::getenv("PATH");
      std::istringstream dirs(path ? path : "/usr/bin:/bin");
      for (std::string dir; std::getline(dirs, dir, ':');) {
        const auto candidate = std::filesystem::path(dir) / program;
        if (::access(candidate.c_str(), X_OK) == 0) {
          program = candidate.string();
          break;
        }
      }
    }
    const std::string log = options_.log.string();
    const std::string errorLog = options_.errorLog.string();
    const std::string workingDir = options_.workingDir.string();

    int report[2];  // the child writes errno here when exec fails; CLOEXEC closes it on success
    if (::pipe2(report, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::setpgid(0, 0);
      // Dies with the test runner even if it crashes before the destructor runs.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      for (int sig : {SIGTERM, SIGINT, SIGPIPE, SIGHUP}) ::signal(sig, SIG_DFL);
      const int in = ::open("/dev/null", O_RDONLY);
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      const int err =
          errorLog.empty() ? out : ::open(errorLog.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      int failed = 0;
      if (in < 0 || out < 0 || err < 0) failed = errno;
      if (!failed && (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0))
        failed = errno;
      if (!failed && !workingDir.empty() && ::chdir(workingDir.c_str()) != 0) failed = errno;
      if (!failed) {
        ::execve(program.c_str(), args.data(), envp.data());
        failed = errno;
      }
      [[maybe_unused]] auto n = ::write(report[1], &failed, sizeof failed);
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);  // also from here, so signal() works even before the child ran
    ::close(report[1]);
    int childErrno = 0;
    ssize_t n;
    while ((n = ::read(report[0], &childErrno, sizeof childErrno)) < 0 && errno == EINTR) {
    }
    ::close(report[0]);
    if (n > 0) {
      kill();
      throw std::runtime_error("cannot start " + argv_[0] + ": " + std::strerror(childErrno));
    }
  }

  std::vector<std::string> argv_;
  ProcessOptions options_;
  pid_t pid_ = -1;
  std::optional<int> exitStatus_;
  bool groupKilled_ = false;
};

// Runs a program to completion (bounded): for ffprobe/ffmpeg/openssl/ceremonyd --check.
struct RunResult {
  std::optional<int> exitStatus;  // nullopt: killed at the timeout
  std::string out;                // stdout
  std::string err;                // stderr
  bool ok() const { return exitStatus && *exitStatus == 0; }
  std::string describe() const {
    return (exitStatus ? "exit " + std::to_string(*exitStatus) : std::string("timed out")) +
           "\nstderr: " + tailOf(err) + (out.size() < 4000 ? "\nstdout: " + out : "");
  }
};

// Output goes to <logDir>/<name>.out and .err, so it stays for a kept test directory.
inline RunResult runToEnd(std::vector<std::string> argv, const std::filesystem::path& logDir,
                          std::chrono::milliseconds timeout, std::vector<std::string> env = {}) {
  static int counter = 0;
  const std::string base =
      std::filesystem::path(argv.at(0)).filename().string() + "-" + std::to_string(++counter);
  ProcessOptions options{logDir / (base + ".out"), logDir / (base + ".err"), std::move(env), {}};
  Process process(std::move(argv), options);
  RunResult result;
  result.exitStatus = process.waitFor(timeout);
  if (!result.exitStatus) process.kill();
  result.out = readText(options.log);
  result.err = readText(options.errorLog);
  return result;
}

}  // namespace ceremony::testing
