#pragma once
// A connection point's own network, made by the test: a network namespace joined to the host
// by a veth pair (the host's side HOST_ADDRESS, the point's POINT_ADDRESS), with nftables
// chains inside for a bad line. Deleted with its veth when the test ends. Needs root.

#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {

// A command of the test's own network set-up; its exit status (bounded: 10 s).
inline int runCommand(const TempDir& dir, const std::vector<std::string>& argv) {
  Process p(argv, ProcessOptions{dir / "netns-commands.log"});
  const auto status = p.waitFor(std::chrono::seconds(10));
  return status ? *status : -1;
}

class PointNetwork {
 public:
  explicit PointNetwork(const TempDir& dir) : dir_(dir) {
    const int tag = static_cast<int>(::getpid() % 250);
    name_ = "cbr" + std::to_string(::getpid());
    hostIf_ = "cbh" + std::to_string(::getpid() % 100000);
    const std::string pointIf = "cbp" + std::to_string(::getpid() % 100000);
    hostAddress_ = "10.213." + std::to_string(tag) + ".1";
    pointAddress_ = "10.213." + std::to_string(tag) + ".2";
    ok_ = run({"ip", "netns", "add", name_}) &&
          run({"ip", "link", "add", hostIf_, "type", "veth", "peer", "name", pointIf}) &&
          run({"ip", "link", "set", pointIf, "netns", name_}) &&
          run({"ip", "addr", "add", hostAddress_ + "/30", "dev", hostIf_}) &&
          run({"ip", "link", "set", hostIf_, "up"}) &&
          run({"ip", "-n", name_, "addr", "add", pointAddress_ + "/30", "dev", pointIf}) &&
          run({"ip", "-n", name_, "link", "set", pointIf, "up"}) &&
          run({"ip", "-n", name_, "link", "set", "lo", "up"}) &&
          nft({"add", "table", "inet", "line"}) &&
          nft({"add", "chain", "inet", "line", "in",
               "{ type filter hook input priority 0 ; policy accept ; }"}) &&
          nft({"add", "chain", "inet", "line", "out",
               "{ type filter hook output priority 0 ; policy accept ; }"});
  }
  ~PointNetwork() {
    runCommand(dir_, {"ip", "netns", "del", name_});
    runCommand(dir_, {"ip", "link", "del", hostIf_});  // normally gone with the namespace
  }
  PointNetwork(const PointNetwork&) = delete;
  PointNetwork& operator=(const PointNetwork&) = delete;

  bool ok() const { return ok_; }
  const std::string& hostAddress() const { return hostAddress_; }
  const std::string& pointAddress() const { return pointAddress_; }
  std::vector<std::string> exec() const { return {"ip", "netns", "exec", name_}; }
  // One packet in `n` of the UDP arriving at the point is lost.
  bool loseOneIn(int n) {
    return nft({"add", "rule", "inet", "line", "in", "meta", "l4proto", "udp", "numgen", "random",
                "mod", std::to_string(n), "<", "1", "drop"});
  }
  // Nothing gets through, either way.
  bool blackhole() {
    return nft({"add", "rule", "inet", "line", "in", "meta", "l4proto", "udp", "drop"}) &&
           nft({"add", "rule", "inet", "line", "out", "meta", "l4proto", "udp", "drop"});
  }

 private:
  bool run(const std::vector<std::string>& argv) { return runCommand(dir_, argv) == 0; }
  bool nft(std::vector<std::string> args) {
    std::vector<std::string> argv = exec();
    argv.push_back("nft");
    for (auto& a : args) argv.push_back(std::move(a));
    return run(argv);
  }
  const TempDir& dir_;
  std::string name_, hostIf_, hostAddress_, pointAddress_;
  bool ok_ = false;
};

}  // namespace ceremony::testing
