#include "api/LiveFeed.h"

#include <vector>

namespace ceremony::api {

void LiveFeed::publish(const std::string& topic, std::string data) {
  auto it = latest_.find(topic);
  if (it != latest_.end() && it->second == data) return;
  latest_[topic] = std::move(data);
  // A subscriber may unsubscribe (its connection closes) while hearing of it.
  const std::vector<Subscriber*> now(subscribers_.begin(), subscribers_.end());
  for (Subscriber* s : now)
    if (subscribers_.count(s)) s->onTopic(topic);
}

std::string LiveFeed::frame(const std::string& topic, const std::string& data) {
  std::string out;
  out.reserve(topic.size() + data.size() + 16);
  out += "event: ";
  out += topic;
  out += "\ndata: ";
  // SSE data ends at a newline: JSON from nlohmann::dump() has none, but be safe.
  for (char c : data) {
    if (c == '\n')
      out += "\ndata: ";
    else if (c != '\r')
      out += c;
  }
  out += "\n\n";
  return out;
}

}  // namespace ceremony::api
