#pragma once
// The live push behind the dashboard (Server-Sent Events). Each topic ("status",
// "timeline", "points", "events") carries the whole current state of that part as JSON, so
// a client needs only the latest message of each topic: a slow client is sent the latest
// state when it can take it, never a backlog. A new client gets a snapshot of every topic
// first. Lives on the io_context thread.

#include <cstddef>
#include <map>
#include <set>
#include <string>

namespace ceremony::api {

class LiveFeed {
 public:
  class Subscriber {
   public:
    virtual ~Subscriber() = default;
    // `topic` has a new latest value (read it with latest()).
    virtual void onTopic(const std::string& topic) = 0;
  };

  // Replaces the topic's state; subscribers hear of it unless it did not change.
  void publish(const std::string& topic, std::string data);
  const std::map<std::string, std::string>& latest() const { return latest_; }

  void subscribe(Subscriber* s) { subscribers_.insert(s); }
  void unsubscribe(Subscriber* s) { subscribers_.erase(s); }
  std::size_t subscribers() const { return subscribers_.size(); }

  // One SSE message: "event: TOPIC\ndata: ...\n\n" (data is single-line JSON).
  static std::string frame(const std::string& topic, const std::string& data);

 private:
  std::map<std::string, std::string> latest_;
  std::set<Subscriber*> subscribers_;
};

}  // namespace ceremony::api
