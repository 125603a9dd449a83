#pragma once
// A test's own directory for configs, peer logs and recordings. Removed at the end unless
// the test failed or CEREMONYD_KEEP_TEST_FILES=1: then its path is printed so the logs and
// recordings can be looked at.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ceremony::testing {

inline bool keepTestFiles() {
  const char* keep = std::getenv("CEREMONYD_KEEP_TEST_FILES");
  return keep && std::string(keep) == "1";
}

class TempDir {
 public:
  // `label` goes into the name so a kept directory says which test made it.
  explicit TempDir(const std::string& label = "test") {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp && *tmp ? tmp : "/tmp") + "/ceremonyd-" + label + "-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!::mkdtemp(buffer.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = buffer.data();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    const bool failed = ::testing::Test::HasFailure() || failedOutsideTest_;
    if (keepTestFiles() || failed) {
      std::cerr << "[ keeping  ] test files in " << path_.string() << "\n";
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  operator const std::filesystem::path&() const { return path_; }

  // For a directory shared by a suite (SetUpTestSuite): its tests' failures are not visible
  // to HasFailure() when the suite tears down, so they mark it here.
  void keep() { failedOutsideTest_ = true; }

 private:
  std::filesystem::path path_;
  bool failedOutsideTest_ = false;
};

}  // namespace ceremony::testing
