#pragma once
// A fresh 32-character token for a test's point or operator: never a fixed string, so a test
// that finds it in a log or a reply knows it leaked from this run.

#include <random>
#include <string>

namespace ceremony::testing {

inline std::string randomToken() {
  std::random_device rd;
  static const char* alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string t;
  for (int i = 0; i < 32; ++i) t += alphabet[rd() % 57];
  return t;
}

}  // namespace ceremony::testing
