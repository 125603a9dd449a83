#include "config/Diagnostics.h"

#include <algorithm>

namespace ceremony {

std::string Diagnostic::format() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += severity == Severity::Warning ? ": cảnh báo (warning): " : ": lỗi (error): ";
  out += message;
  return out;
}

void Diagnostics::warning(std::string file, int line, int column, std::string message) {
  items_.push_back({Severity::Warning, std::move(file), line, column, std::move(message)});
}
void Diagnostics::error(std::string file, int line, int column, std::string message) {
  items_.push_back({Severity::Error, std::move(file), line, column, std::move(message)});
}
void Diagnostics::fatal(std::string file, int line, int column, std::string message) {
  items_.push_back({Severity::Fatal, std::move(file), line, column, std::move(message)});
}

bool Diagnostics::hasErrors() const {
  return errors() > 0;
}
bool Diagnostics::hasFatal() const {
  return std::any_of(items_.begin(), items_.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::Fatal; });
}
std::size_t Diagnostics::warnings() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::Warning; });
}
std::size_t Diagnostics::errors() const {
  return items_.size() - warnings();
}

int Diagnostics::exitCode() const {
  if (hasFatal()) return 2;
  return hasErrors() ? 1 : 0;
}

}  // namespace ceremony
