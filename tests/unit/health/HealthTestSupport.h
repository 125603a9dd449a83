#pragma once
// Small builders shared by the health unit tests: points, results and a fixed start.

#include <string>

#include "health/HealthConfig.h"
#include "health/ProbeResult.h"

namespace ceremony::health::test {

// 28/7/2025 14:00 in Quảng Ngãi (07:00 UTC): the ceremony's start.
inline WallTime ceremonyStart() {
  using namespace std::chrono;
  return time_point_cast<Millis>(sys_days{year{2025} / 7 / 28} + hours{7});
}

inline ProbeSpec httpProbe(std::string name = "http") {
  ProbeSpec s;
  s.name = std::move(name);
  s.kind = "http";
  s.url = "http://127.0.0.1/health";
  return s;
}

inline PointConfig point(std::string id, std::vector<ProbeSpec> probes = {httpProbe()}) {
  PointConfig p;
  p.id = id;
  p.name = "Xã " + id;
  p.kind = "xã";
  p.contactName = "Cán bộ " + id;
  p.contactPhone = "0900 000 001";
  p.probes = std::move(probes);
  return p;
}

inline ProbeResult good(const std::string& id, WallTime at, Millis latency = Millis(40),
                        std::string probe = "http") {
  ProbeResult r;
  r.pointId = id;
  r.probe = std::move(probe);
  r.ok = true;
  r.at = at;
  r.latency = latency;
  r.httpStatus = 200;
  return r;
}

inline ProbeResult bad(const std::string& id, WallTime at,
                       std::string reason = "connect timeout after 2000 ms",
                       std::string probe = "http") {
  ProbeResult r;
  r.pointId = id;
  r.probe = std::move(probe);
  r.ok = false;
  r.at = at;
  r.latency = Millis(2000);
  r.reason = std::move(reason);
  return r;
}

}  // namespace ceremony::health::test
