#pragma once
// The live push behind the dashboard (Server-Sent Events). Lives on the io_context thread.
//
// Two kinds of topic:
//   - whole topics ("status", "timeline", "events", "sound"): each message carries the whole
//     current state of that part as JSON, so a client needs only the latest message: a slow
//     client is sent the latest state when it can take it, never a backlog;
//   - list topics ("points"): a JSON object with a list of items keyed by id (3,321 points at
//     a national event). A client gets the whole object once (event TOPIC, the snapshot), then
//     only what changed (event TOPIC-changed): the summary (everything but the list) and the
//     items that changed since that client's last message. Each subscriber keeps the set of
//     ids it has not been sent yet, so a slow client gets each changed item once, in its
//     latest state, when it can take more: no backlog, and no change lost.
// A new client gets a snapshot of every topic first. A client that asks for whole lists
// (`subscribe(s, true)`: tools written against the whole list) gets the snapshot again at
// every change, as before list topics existed.

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace ceremony::api {

class LiveFeed {
 public:
  class Subscriber {
   public:
    virtual ~Subscriber() = default;
    // There is something new for this subscriber: take() it when it can be written.
    virtual void onReady() = 0;
  };

  // One item of a list topic: its id, its JSON object (text) as sent, and what counts as a
  // change of it (text; empty: `data`). A measurement that moves on every probe (a latency)
  // is left out of `key`: it rides along with the item's next real change.
  struct Item {
    std::string id;
    std::string data;
    std::string key;
  };

  // Replaces a whole topic's state; subscribers hear of it unless it did not change.
  void publish(const std::string& topic, std::string data);

  // Replaces a list topic's state: `summary` is a JSON object (text) of everything but the
  // list, which is sent under `listKey` ("points"). Subscribers hear of the items whose key
  // changed; when items come, go or move, each subscriber is sent the whole snapshot again.
  void publishList(const std::string& topic, const std::string& listKey, std::string summary,
                   std::vector<Item> items);
  // The same for a few items only, the rest unchanged: what a publisher that knows which
  // items changed sends, without building the whole list (10,000 points at a national
  // event). False, and nothing changed, when the topic has no list yet or an id is not in
  // it: then publishList() the whole list.
  bool updateItems(const std::string& topic, std::string summary, std::vector<Item> items);

  // A new subscriber is due every topic's current state (take() it).
  void subscribe(Subscriber* s, bool wholeLists = false);
  void unsubscribe(Subscriber* s) { subscribers_.erase(s); }
  std::size_t subscribers() const { return subscribers_.size(); }

  // The SSE frames due to `s` (snapshots, whole topics, then list changes), and none is due
  // any more. Empty when nothing is due.
  std::string take(Subscriber* s);

  // A topic's whole current state as a snapshot sends it (a list topic with its list).
  std::optional<std::string> latest(const std::string& topic) const;

  // The event name of a list topic's changes: "points" → "points-changed".
  static std::string changedTopic(const std::string& topic) { return topic + "-changed"; }

  // One SSE message: "event: TOPIC\ndata: ...\n\n" (data is single-line JSON).
  static std::string frame(const std::string& topic, const std::string& data);

 private:
  struct List {
    std::string listKey;
    std::string summary;
    std::vector<Item> items;
    std::unordered_map<std::string, std::size_t> index;  // id → position in items
    mutable std::optional<std::string> snapshot;         // built when first asked for
  };
  struct Pending {
    bool wholeLists = false;
    std::set<std::string> whole;                           // topics due whole (snapshots)
    std::map<std::string, std::set<std::string>> changed;  // list topic → ids due
  };

  // Tells the subscribers of `topic`'s changed items (positions), or of a new summary.
  void tellChanges(const std::string& topic, const List& l, const std::vector<std::size_t>& changed,
                   bool sameIds);
  // Everything but the list, then the given items of it, as one JSON object.
  static std::string listBody(const List& l, const std::vector<std::size_t>& which);
  void notify(const std::vector<Subscriber*>& who);

  std::map<std::string, std::string> latest_;
  std::map<std::string, List> lists_;
  std::map<Subscriber*, Pending> subscribers_;
};

}  // namespace ceremony::api
