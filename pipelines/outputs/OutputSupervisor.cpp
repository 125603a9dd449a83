#include "pipelines/outputs/OutputSupervisor.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/Url.h"
#include "core/Backoff.h"

namespace ceremony::media {

OutputSupervisor::OutputSupervisor(boost::asio::io_context& io, const Clock& clock,
                                   OutputHost& host, Policy policy)
    : io_(io), clock_(clock), host_(host), policy_(policy) {}

void OutputSupervisor::add(Destination destination) {
  Entry e;
  e.destination = std::move(destination);
  entries_.push_back(std::move(e));
}

OutputSupervisor::Entry* OutputSupervisor::entry(const std::string& outputId) {
  for (auto& e : entries_)
    if (e.destination.config.id == outputId) return &e;
  return nullptr;
}

const OutputSupervisor::Entry* OutputSupervisor::entry(const std::string& outputId) const {
  return const_cast<OutputSupervisor*>(this)->entry(outputId);
}

const Destination* OutputSupervisor::find(const std::string& outputId) const {
  const Entry* e = entry(outputId);
  return e ? &e->destination : nullptr;
}

std::vector<const Destination*> OutputSupervisor::destinations() const {
  std::vector<const Destination*> all;
  for (const auto& e : entries_) all.push_back(&e.destination);
  return all;
}

bool OutputSupervisor::running(const std::string& outputId) const {
  const Entry* e = entry(outputId);
  return e && e->running;
}

std::string OutputSupervisor::lastError(const std::string& outputId) const {
  const Entry* e = entry(outputId);
  return e ? e->lastError : std::string();
}

bool OutputSupervisor::open(Entry& e) {
  std::string error;
  if (!host_.openOutput(e.destination, &error)) {
    e.lastError = error;
    return false;
  }
  e.running = true;
  ++e.starts;
  e.lastBytes = 0;
  e.kbps = 0;
  return true;
}

OutputSupervisor::StartOutcome OutputSupervisor::start(const std::string& outputId) {
  Entry* e = entry(outputId);
  if (!e) return StartOutcome::Unknown;
  if (e->running && e->retry) {  // waiting to reconnect: try now
    reconnect(outputId);
    return StartOutcome::RetriedNow;
  }
  if (e->running) return StartOutcome::AlreadyRunning;
  return open(*e) ? StartOutcome::Started : StartOutcome::Failed;
}

bool OutputSupervisor::stop(const std::string& outputId) {
  Entry* e = entry(outputId);
  if (!e || !e->running || !host_.closeOutput(outputId)) return false;
  e->running = false;
  e->kbps = 0;
  e->lastBytes = 0;
  e->retry.reset();  // its pending wait finds itself replaced and ends
  e->knock.reset();
  return true;
}

void OutputSupervisor::onOutputState(const std::string& outputId, OutputState state,
                                     const std::string& detail) {
  Entry* e = entry(outputId);
  if (!e) return;
  // The last error stays on show through the reconnects, until the destination is live.
  if (state == OutputState::Live) {
    e->attempt = 0;
    e->lastError.clear();
  }
  if (state == OutputState::Failed) e->lastError = detail;
  // Only the destination's current pipeline reports here: ProgramMixer drops what one
  // already replaced (being finished on its own thread) still says, so a failure is this
  // destination's and starts a round, unless one is already due.
  if (state == OutputState::Failed && e->running && !stopping_ &&
      e->destination.config.kind == OutputKind::Rtmp && !e->retry)
    scheduleReconnect(outputId);
}

void OutputSupervisor::sample() {
  for (const auto& st : host_.openOutputs())
    for (auto& e : entries_)
      if (e.destination.config.id == st.id) {
        e.kbps =
            e.lastBytes && st.bytes >= e.lastBytes ? (st.bytes - e.lastBytes) * 8.0 / 1000.0 : 0.0;
        e.lastBytes = st.bytes;
      }
}

std::vector<DestinationStatus> OutputSupervisor::status() const {
  const std::vector<OutputStatus> open = host_.openOutputs();
  std::vector<DestinationStatus> list;
  for (const auto& e : entries_) {
    DestinationStatus d;
    d.destination = &e.destination;
    d.state = "stopped";
    d.shownDestination = e.destination.safeDestination;
    d.reconnects = std::max(0, e.starts - 1);
    d.lastError = e.lastError;
    for (const auto& st : open)
      if (st.id == e.destination.config.id) {
        d.state = e.retry ? "reconnecting" : toString(st.state);
        d.live = !e.retry && st.state == OutputState::Live;
        d.shownDestination = st.destination;  // already redacted
        d.bytes = st.bytes;
        d.kbps = static_cast<long long>(e.kbps + 0.5);
        if (!st.lastError.empty()) d.lastError = st.lastError;
      }
    list.push_back(std::move(d));
  }
  return list;
}

bool OutputSupervisor::anyLive(const std::vector<DestinationStatus>& list) {
  for (const auto& d : list)
    if (d.live && d.destination->config.kind == OutputKind::Rtmp) return true;
  return false;
}

// Without deleteStream (rtmp2sink stop-commands=none), for as long as the ceremony runs.
void OutputSupervisor::scheduleReconnect(const std::string& outputId) {
  Entry* e = entry(outputId);
  if (!e) return;
  const auto delay = backoffDelay(policy_.firstRetry, e->attempt, policy_.mostRetry);
  ++e->attempt;
  e->retryAt = clock_.now() + delay;
  e->knockFailed = false;
  spdlog::warn("Đầu ra {}: kết nối lại lần {} sau {} ms", outputId, e->attempt, delay.count());
  e->retry = std::make_shared<boost::asio::steady_timer>(io_, policy_.knockEvery);
  knockThenReconnect(outputId);
}

void OutputSupervisor::knockThenReconnect(const std::string& outputId) {
  Entry* e = entry(outputId);
  if (!e || !e->retry || stopping_) return;
  auto timer = e->retry;
  timer->expires_after(policy_.knockEvery);
  timer->async_wait([this, outputId, timer](const boost::system::error_code& ec) {
    Entry* cur = entry(outputId);
    if (ec || stopping_ || !cur || cur->retry != timer) return;
    if (!cur->running) {  // stopped meanwhile
      cur->retry.reset();
      return;
    }
    if (clock_.now() >= cur->retryAt) return reconnect(outputId);
    // host:port of the ingest URL
    const Destination& d = cur->destination;
    const std::string& url = d.url.empty() ? d.config.url : d.url;
    const auto ingest = hostPortOf(url, url.rfind("rtmps", 0) == 0 ? 443 : 1935);
    boost::system::error_code bad = boost::asio::error::invalid_argument;
    const auto address =
        ingest ? boost::asio::ip::make_address(ingest->host, bad) : boost::asio::ip::address{};
    // The last knock gets one tick to answer: a black-holed line must not hold up the
    // next one (a SYN can wait two minutes for its timeout).
    if (cur->knock) {
      boost::system::error_code ignored;
      cur->knock->close(ignored);
      cur->knock.reset();
    }
    if (!bad) {  // an address (for a host name the backoff alone decides)
      auto socket = std::make_shared<boost::asio::ip::tcp::socket>(io_);
      cur->knock = socket;
      const boost::asio::ip::tcp::endpoint ep(address, ingest->port);
      socket->async_connect(ep,
                            [this, outputId, socket, timer](const boost::system::error_code& c) {
                              boost::system::error_code ignored;
                              socket->close(ignored);
                              Entry* en = entry(outputId);
                              if (!en || en->retry != timer || stopping_) return;
                              if (c) {
                                en->knockFailed = true;
                                return;
                              }
                              if (en->knockFailed) reconnect(outputId);  // the server is back
                            });
    }
    knockThenReconnect(outputId);
  });
}

void OutputSupervisor::reconnect(const std::string& outputId) {
  Entry* e = entry(outputId);
  if (!e || stopping_) return;
  e->retry.reset();
  e->knock.reset();
  host_.closeOutput(outputId);
  e->running = false;
  if (open(*e)) return;  // a new failure report schedules the next round
  e->running = true;     // still wanted
  scheduleReconnect(outputId);
}

}  // namespace ceremony::media
