#pragma once
// Problems found in outside input (config, CSV), each with where and a plain sentence.

#include <string>
#include <vector>

namespace ceremony {

enum class Severity { Warning, Error, Fatal };

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string file;  // path as the user gave it
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
  std::string message;

  // "file:line:col: error: message" — the form editors and people both read.
  std::string format() const;
};

class Diagnostics {
 public:
  void warning(std::string file, int line, int column, std::string message);
  void error(std::string file, int line, int column, std::string message);
  // The file cannot be used at all (unreadable, not TOML).
  void fatal(std::string file, int line, int column, std::string message);

  const std::vector<Diagnostic>& all() const { return items_; }
  bool hasErrors() const;
  bool hasFatal() const;
  std::size_t warnings() const;
  std::size_t errors() const;

  // Exit status of `ceremonyd --check`: 0 ok (warnings allowed), 1 problems, 2 unusable.
  int exitCode() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace ceremony
