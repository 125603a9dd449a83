// ProgramMixer's destinations: adding, removing and listing them, and the other consumers
// of the encode (the video bridge). All on the io_context thread; the appsink threads see
// the change at their next sample (CopyOnWrite).
#include <boost/asio/post.hpp>

#include "pipelines/programme/ProgramMixer.h"

namespace ceremony::media {

bool ProgramMixer::addOutput(const OutputConfig& output, const std::string& location,
                             const std::string& safeLocation, std::string* error) {
  auto alive = alive_;
  auto token = std::make_shared<const char>('\0');
  std::weak_ptr<const char> mine = token;
  auto out = std::make_shared<EncodedOutput>(
      output, location, safeLocation,
      [this, alive, mine](const std::string& id, OutputState state, const std::string& detail) {
        boost::asio::post(io_, [this, alive, mine, id, state, detail] {
          if (!*alive) return;
          // The old pipeline of a reconnected destination says "stopped" as it is finished:
          // the destination did not stop, so nobody is told.
          if (mine.expired() && outputTokens_.count(id)) return;
          listener_.onOutputState(id, state, detail);
        });
      });
  outputTokens_[output.id] = token;  // a pipeline before it, if any, is no longer current
  if (!out->start(error)) {
    outputTokens_.erase(output.id);  // its failure report still reaches the listener
    return false;
  }
  fanOut_.edit([&](FanOut& f) { f.outputs.push_back(std::move(out)); });
  return true;
}

bool ProgramMixer::removeOutput(const std::string& outputId) {
  std::shared_ptr<EncodedOutput> out;
  fanOut_.edit([&](FanOut& f) {
    auto it = std::find_if(f.outputs.begin(), f.outputs.end(),
                           [&](const auto& o) { return o->id() == outputId; });
    if (it == f.outputs.end()) return;
    out = *it;
    f.outputs.erase(it);
  });
  if (!out) return false;
  outputTokens_.erase(outputId);  // its last reports (stopped) still reach the listener
  stopThreads_.run([out] { out->stop(std::chrono::milliseconds(3000)); });
  return true;
}

std::vector<OutputStatus> ProgramMixer::outputs() const {
  std::vector<OutputStatus> out;
  for (const auto& o : fanOut_.snapshot()->outputs) out.push_back(o->status());
  return out;
}

void ProgramMixer::addSink(std::shared_ptr<EncodedSink> sink) {
  fanOut_.edit([&](FanOut& f) { f.sinks.push_back(std::move(sink)); });
}

}  // namespace ceremony::media
