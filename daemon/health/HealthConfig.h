#pragma once
// Connection points and how they are probed and judged: plain data filled by
// HealthConfigParser (TOML [[points]] / [health]) and PointsCsv (points_csv).
// Defaults and the reasons for them are in daemon/health/README.md.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/WallTime.h"

namespace ceremony::health {

// Where a point or probe was written: "points.csv" line 12, or the TOML file line:column.
// Unlike config's Position it names the file, since points may come from points_csv.
struct Origin {
  std::string file;
  int line = 0;
  int column = 0;
};

// One probe of a point. `kind` is a string so that a new kind is one entry in the
// prober registry (ProbeKinds::builtin() in Probes.h), with no change to this struct;
// settings a kind needs beyond the generic fields go into `params`.
struct ProbeSpec {
  std::string name;  // unique within the point; defaults to the kind ("http", "tcp", ...)
  std::string kind;  // "http" | "https" | "tcp" | "heartbeat" (ProbeKinds in Probes.h)
  std::string url;   // http/https
  std::string host;  // tcp
  int port = 0;      // tcp
  Millis connectTimeout{2000};
  Millis timeout{3000};            // total, connect included
  int expectStatus = 200;          // 0 = any 2xx/3xx
  std::string bodyKeyword;         // http/https: the body must contain it (empty = no check)
  bool verifyTls = true;           // https: false only for test peers with self-signed certs
  Millis heartbeatTimeout{30000};  // heartbeat: down when nothing arrived for this long
  std::string tokenFile;  // heartbeat: the point's token is read from this file; never logged
  std::map<std::string, std::string> params;  // kind-specific extras (future kinds)
  Origin origin;
};

// One connection point (điểm cầu): a commune, ward or the special zone.
struct PointConfig {
  std::string id;            // stable key used in the API, metrics and logs: "nghia-hanh"
  std::string name;          // "Xã Nghĩa Hành"
  std::string kind;          // "xã" | "phường" | "đặc khu"
  std::string contactName;   // whom to call
  std::string contactPhone;  // digits, optional leading +, spaces/dots allowed
  // The group the point belongs to ("Quảng Ngãi": its province at a national event), empty
  // for none. The dashboard groups by it, and a group's points dropping together is that
  // group's uplink alarm.
  std::string group;
  std::vector<ProbeSpec> probes;
  Origin origin;
};

// How results become states. Defaults are for a live event with a 2 s probe interval:
// a dead point is red after 3 failed probes (~6 s), a flapping point never blinks.
struct HealthSettings {
  Millis interval{2000};  // one probe round per interval
  Millis jitter{500};     // each point's probe is offset by up to this, so 96 don't fire at once
  int downFailures = 3;   // k: down (or degraded) after k bad results ...
  int downWindow = 4;     // n: ... among the last n
  int upSuccesses = 3;    // m: back up only after m consecutive good results
  // An up point with this many failures among the last n (but fewer than k) is degraded:
  // a point that drops every other probe is struggling, and must not blink green/red.
  int degradedFailures = 2;
  Millis degradedLatency{1000};    // a successful probe slower than this counts as "slow"
  double uplinkShare = 0.5;        // uplink alarm when this share of watched points went down ...
  int uplinkMinPoints = 10;        // ... and at least this many ...
  Millis uplinkWindow{10000};      // ... within this window
  double uplinkClearShare = 0.25;  // alarm clears when fewer than this share of its points are down
  // A point's alert waits this long before it goes out, so that when the uplink drops
  // the operators get one uplink alarm instead of a first wave of single alerts.
  Millis alertHold{3000};
  int utcOffsetMinutes = 7 * 60;     // times in events and alerts: Vietnam, +07:00
  std::size_t historyPerPoint = 50;  // state changes kept in memory per point
  std::string eventLogPath;          // JSON lines; empty = the daemon's state directory picks it
  std::string webhookUrl;            // empty = no webhook
  std::string webhookTokenFile;      // optional bearer token for the webhook; never logged
  int webhookRetries = 5;
  Millis webhookBackoff{1000};  // doubled after each failed attempt
};

struct HealthConfig {
  std::string pointsCsv;  // optional CSV file with the point list (resolved path)
  std::vector<PointConfig> points;
  HealthSettings settings;
};

}  // namespace ceremony::health
