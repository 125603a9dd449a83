#pragma once
// What the config parser's tests share: a scratch folder, an environment variable set for
// one test, the eleven lines every test starts from, and EXPECT_DIAGNOSTIC.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "config/ConfigParser.h"

namespace ceremony::config_test {

namespace fs = std::filesystem;

inline const fs::path kConfigDir = fs::path(CEREMONYD_SOURCE_DIR) / "config";

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("ceremonyd-config-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path write(const std::string& name, const std::string& text,
                 fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    fs::permissions(p, perms);
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~EnvVar() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Eleven lines every test starts from; what a test adds begins on line 12.
inline constexpr int kBaseLines = 11;
inline constexpr const char* kBase = R"([event]
title = "Lễ Phát động"
date = "2025-07-28"
[sources.hall]
kind = "test"
[scenes.hall]
kind = "source"
source = "hall"
[outputs.rec]
kind = "record"
directory = "rec"
)";

inline constexpr const char* kOneItem = R"([[timeline]]
id = "a"
start = "14:00"
scene = "hall"
title = "Khai mạc"
)";

inline std::string withBase(std::string_view rest) {
  return std::string(kBase) + std::string(rest);
}

class ConfigParser : public ::testing::Test {
 protected:
  LoadResult parse(const std::string& text) {
    return parseConfigText(text, "test.toml", dir_.path());
  }
  TempDir dir_;
};

inline std::string dump(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics.all()) out += d.format() + "\n";
  return out;
}

// The one diagnostic whose message contains `needle`.
inline const Diagnostic* find(const LoadResult& r, std::string_view needle) {
  for (const auto& d : r.diagnostics.all())
    if (d.message.find(needle) != std::string::npos) return &d;
  return nullptr;
}

#define EXPECT_DIAGNOSTIC(result, needle, sev, ln, col)                                 \
  do {                                                                                  \
    const Diagnostic* d_ = find(result, needle);                                        \
    ASSERT_NE(d_, nullptr) << "no diagnostic with: " << needle << "\n" << dump(result); \
    EXPECT_EQ(d_->severity, sev) << d_->format();                                       \
    EXPECT_EQ(d_->file, "test.toml");                                                   \
    EXPECT_EQ(d_->line, ln) << d_->format();                                            \
    EXPECT_EQ(d_->column, col) << d_->format();                                         \
  } while (0)

inline std::int64_t utcSeconds(WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

inline const ItemConfig* item(const Config& c, const std::string& id) {
  for (const auto& i : c.timeline)
    if (i.id == id) return &i;
  return nullptr;
}

inline std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace ceremony::config_test
