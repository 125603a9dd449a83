// GET /metrics: the Prometheus text of the points, outputs, inputs, run-of-show, API and
// bridge. On the io_context thread.
#include "app/Ceremony.h"

namespace ceremony {

std::string Ceremony::metrics() {
  std::string out;
  if (points_) out += points_->monitor().prometheusText();
  auto line = [&](const std::string& s) { out += s + "\n"; };
  line("# HELP ceremonyd_output_up 1 while the destination takes the programme.");
  line("# TYPE ceremonyd_output_up gauge");
  line("# HELP ceremonyd_output_bytes_total Encoded bytes handed to the destination.");
  line("# TYPE ceremonyd_output_bytes_total counter");
  for (const auto& d : outputs_.status()) {
    const std::string& id = d.destination->config.id;
    line("ceremonyd_output_up{output=\"" + id + "\"} " + (d.live ? "1" : "0"));
    line("ceremonyd_output_bytes_total{output=\"" + id + "\"} " + std::to_string(d.bytes));
  }
  if (mixer_) {
    line("# HELP ceremonyd_input_up 1 while the live input has a picture (0: its card shows).");
    line("# TYPE ceremonyd_input_up gauge");
    line("# HELP ceremonyd_input_losses_total Times the live input lost its signal.");
    line("# TYPE ceremonyd_input_losses_total counter");
    line("# HELP ceremonyd_input_restarts_total Times the live input was rebuilt.");
    line("# TYPE ceremonyd_input_restarts_total counter");
    for (const auto& in : mixer_->inputs()) {
      if (!in.watched) continue;
      const std::string label = "{input=\"" + in.id + "\"} ";
      line("ceremonyd_input_up" + label + (in.state == media::InputState::Running ? "1" : "0"));
      line("ceremonyd_input_losses_total" + label + std::to_string(in.losses));
      line("ceremonyd_input_restarts_total" + label + std::to_string(in.restarts));
    }
  }
  if (timeline_) {
    const auto tn = timeline_->status(clock_.now());
    line("# HELP ceremonyd_timeline_item The 1-based number of the item on air (0: none).");
    line("# TYPE ceremonyd_timeline_item gauge");
    line("ceremonyd_timeline_item " + std::to_string(tn.current ? *tn.current + 1 : 0));
  }
  if (api_) {
    const auto& c = api_->counts();
    line("# HELP ceremonyd_api_requests_total API requests answered, by status class.");
    line("# TYPE ceremonyd_api_requests_total counter");
    line("ceremonyd_api_requests_total{class=\"2xx\"} " + std::to_string(c.ok));
    line("ceremonyd_api_requests_total{class=\"4xx\"} " + std::to_string(c.clientErrors));
    line("ceremonyd_api_requests_total{class=\"5xx\"} " + std::to_string(c.serverErrors));
  }
  if (http_) {
    const auto& h = http_->counters();
    line("# HELP ceremonyd_api_connections Open API connections.");
    line("# TYPE ceremonyd_api_connections gauge");
    line("ceremonyd_api_connections " + std::to_string(http_->connections()));
    line("# HELP ceremonyd_api_connections_max The most API connections open at once.");
    line("# TYPE ceremonyd_api_connections_max gauge");
    line("ceremonyd_api_connections_max " + std::to_string(http_->limits().maxConnections));
    line(
        "# HELP ceremonyd_api_turned_away_total Connections refused (503) or closed to make room.");
    line("# TYPE ceremonyd_api_turned_away_total counter");
    line("ceremonyd_api_turned_away_total{why=\"per_address\"} " +
         std::to_string(h.refusedPerAddress));
    line("ceremonyd_api_turned_away_total{why=\"full\"} " + std::to_string(h.refusedBusy));
    line("ceremonyd_api_turned_away_total{why=\"streams\"} " + std::to_string(h.refusedStreams));
    line("ceremonyd_api_turned_away_total{why=\"made_room\"} " + std::to_string(h.evicted));
    line("ceremonyd_api_turned_away_total{why=\"accept_error\"} " + std::to_string(h.acceptErrors));
  }
  bridgeMetrics(out);
  soundMetrics(out);
  line("# HELP ceremonyd_live_clients Dashboard clients on the live stream.");
  line("# TYPE ceremonyd_live_clients gauge");
  line("ceremonyd_live_clients " + std::to_string(feed_.subscribers()));
  return out;
}

}  // namespace ceremony
