#pragma once
// The ceremony's destinations (RTMP ingests and recordings) and the one policy that keeps
// them on the air: an RTMP destination that fails is started again after 2 s × 1.5ⁿ (at
// most 30 s, core/Backoff.h), and while it waits its ingest's port is knocked on twice a
// second, so a server that comes back is fed again within a second. Runs on the
// io_context; the pipelines themselves are opened and closed by an OutputHost.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/Config.h"
#include "core/Clock.h"
#include "pipelines/outputs/EncodedOutput.h"

namespace ceremony::media {

// One destination as configured: its settings, a --rtmp destination's URL as given (empty
// for a configured one) and where it goes in words safe to show (redacted URL or folder).
struct Destination {
  OutputConfig config;
  std::string url;
  std::string safeDestination;
};

// Opens and closes the pipelines of destinations (ProgramMixer in the daemon).
class OutputHost {
 public:
  virtual ~OutputHost() = default;
  // False with the reason in *error (the host has logged it).
  virtual bool openOutput(const Destination& destination, std::string* error) = 0;
  // False if it has no pipeline for `outputId`.
  virtual bool closeOutput(const std::string& outputId) = 0;
  virtual std::vector<OutputStatus> openOutputs() const = 0;
};

// A destination as the API and the metrics show it.
struct DestinationStatus {
  const Destination* destination = nullptr;
  // "stopped" without a pipeline, "reconnecting" while a retry is due, else its pipeline's.
  std::string state;
  bool live = false;  // its pipeline is live (and no retry is due)
  // Its pipeline's words for where it goes, else the configured destination's.
  std::string shownDestination;
  std::uint64_t bytes = 0;
  long long kbps = 0;  // rounded, over the last second
  int reconnects = 0;  // every start after the first
  std::string lastError;
};

class OutputSupervisor {
 public:
  struct Policy {
    Millis firstRetry{2000};
    Millis mostRetry{30000};
    Millis knockEvery{500};
  };

  OutputSupervisor(boost::asio::io_context& io, const Clock& clock, OutputHost& host)
      : OutputSupervisor(io, clock, host, Policy{}) {}
  OutputSupervisor(boost::asio::io_context& io, const Clock& clock, OutputHost& host,
                   Policy policy);

  // Adds a destination to the table (not started).
  void add(Destination destination);
  const Destination* find(const std::string& outputId) const;
  std::vector<const Destination*> destinations() const;

  enum class StartOutcome { Started, RetriedNow, AlreadyRunning, Failed, Unknown };
  // An operator's (or the start-up's) start. A destination waiting to reconnect is
  // reconnected at once (RetriedNow). On Failed, lastError(outputId) says why.
  StartOutcome start(const std::string& outputId);
  // An operator's stop: the pipeline is closed and any pending retry cancelled. False if it
  // is unknown or not running.
  bool stop(const std::string& outputId);
  bool running(const std::string& outputId) const;
  std::string lastError(const std::string& outputId) const;

  // What a destination's current pipeline reports (through ProgramMixer::Listener).
  void onOutputState(const std::string& outputId, OutputState state, const std::string& detail);
  // Once a second: the bit rates from the byte counts.
  void sample();
  // Shutting down: no more retries.
  void shutdown() { stopping_ = true; }

  // Every destination in the order they were added, with its pipeline's state.
  std::vector<DestinationStatus> status() const;
  // An RTMP destination is live: the ceremony is on the air.
  bool live() const { return anyLive(status()); }
  static bool anyLive(const std::vector<DestinationStatus>& list);

 private:
  struct Entry {
    Destination destination;
    bool running = false;
    std::uint64_t lastBytes = 0;
    double kbps = 0;
    std::string lastError;
    int starts = 0;  // how often it was started; every start after the first is a reconnect
    // Reconnecting after a failure (RTMP): the attempt number and the pending retry.
    int attempt = 0;
    std::shared_ptr<boost::asio::steady_timer> retry;
    std::shared_ptr<boost::asio::ip::tcp::socket> knock;
    // A knock found the port closed (or unanswered) during this wait: the server went away,
    // so its port accepting again means it is back. A server that accepts and then never
    // answers (the failure was a timeout) is left to the backoff.
    bool knockFailed = false;
    WallTime retryAt{};
  };

  Entry* entry(const std::string& outputId);
  const Entry* entry(const std::string& outputId) const;
  bool open(Entry& e);
  void scheduleReconnect(const std::string& outputId);
  void knockThenReconnect(const std::string& outputId);
  void reconnect(const std::string& outputId);

  boost::asio::io_context& io_;
  const Clock& clock_;
  OutputHost& host_;
  Policy policy_;
  std::vector<Entry> entries_;
  bool stopping_ = false;
};

}  // namespace ceremony::media
