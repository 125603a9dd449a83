#include "api/LiveFeed.h"

#include <algorithm>

namespace ceremony::api {

namespace {

// What counts as a change of an item: its key, or its data when it has none.
const std::string& keyOf(const LiveFeed::Item& i) {
  return i.key.empty() ? i.data : i.key;
}

}  // namespace

void LiveFeed::publish(const std::string& topic, std::string data) {
  auto it = latest_.find(topic);
  if (it != latest_.end() && it->second == data) return;
  latest_[topic] = std::move(data);
  std::vector<Subscriber*> who;
  who.reserve(subscribers_.size());
  for (auto& [s, p] : subscribers_) {
    p.whole.insert(topic);
    who.push_back(s);
  }
  notify(who);
}

void LiveFeed::publishList(const std::string& topic, const std::string& listKey,
                           std::string summary, std::vector<Item> items) {
  auto [it, fresh] = lists_.try_emplace(topic);
  List& l = it->second;
  bool sameIds = !fresh && l.listKey == listKey && l.items.size() == items.size();
  for (std::size_t i = 0; sameIds && i < items.size(); ++i) sameIds = l.items[i].id == items[i].id;

  std::vector<std::size_t> changed;  // positions whose key moved
  bool anyData = !sameIds || l.summary != summary;
  if (sameIds)
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (keyOf(l.items[i]) != keyOf(items[i])) changed.push_back(i);
      if (!anyData && l.items[i].data != items[i].data) anyData = true;
    }
  const bool summaryChanged = l.summary != summary;
  if (!anyData) return;
  l.listKey = listKey;
  l.summary = std::move(summary);
  l.items = std::move(items);
  l.snapshot.reset();
  if (!sameIds) {
    l.index.clear();
    for (std::size_t i = 0; i < l.items.size(); ++i) l.index[l.items[i].id] = i;
  }
  // Only a measurement moved: the next snapshot has it, nobody is told.
  if (sameIds && changed.empty() && !summaryChanged) return;
  tellChanges(topic, l, changed, sameIds);
}

bool LiveFeed::updateItems(const std::string& topic, std::string summary, std::vector<Item> items) {
  auto it = lists_.find(topic);
  if (it == lists_.end()) return false;
  List& l = it->second;
  std::vector<std::size_t> at;
  at.reserve(items.size());
  for (const auto& item : items) {
    auto found = l.index.find(item.id);
    if (found == l.index.end()) return false;
    at.push_back(found->second);
  }
  std::vector<std::size_t> changed;
  bool anyData = l.summary != summary;
  const bool summaryChanged = anyData;
  for (std::size_t k = 0; k < items.size(); ++k) {
    Item& old = l.items[at[k]];
    if (keyOf(old) != keyOf(items[k])) changed.push_back(at[k]);
    if (old.data != items[k].data) anyData = true;
    old = std::move(items[k]);
  }
  if (!anyData) return true;
  l.summary = std::move(summary);
  l.snapshot.reset();
  if (!changed.empty() || summaryChanged) tellChanges(topic, l, changed, true);
  return true;
}

void LiveFeed::tellChanges(const std::string& topic, const List& l,
                           const std::vector<std::size_t>& changed, bool sameIds) {
  std::vector<Subscriber*> who;
  who.reserve(subscribers_.size());
  for (auto& [s, p] : subscribers_) {
    who.push_back(s);
    if (!sameIds || p.wholeLists) {
      p.whole.insert(topic);
      p.changed.erase(topic);
      continue;
    }
    if (p.whole.count(topic)) continue;  // its snapshot is due: it will be the latest
    auto& due = p.changed[topic];        // present, even empty: the summary is due
    for (std::size_t i : changed) due.insert(l.items[i].id);
  }
  notify(who);
}

void LiveFeed::notify(const std::vector<Subscriber*>& who) {
  // A subscriber may unsubscribe (its connection closes) while hearing of it.
  for (Subscriber* s : who)
    if (subscribers_.count(s)) s->onReady();
}

void LiveFeed::subscribe(Subscriber* s, bool wholeLists) {
  Pending p;
  p.wholeLists = wholeLists;
  for (const auto& [topic, data] : latest_) p.whole.insert(topic);
  for (const auto& [topic, list] : lists_) p.whole.insert(topic);
  subscribers_[s] = std::move(p);
}

std::string LiveFeed::listBody(const List& l, const std::vector<std::size_t>& which) {
  std::size_t size = l.summary.size() + l.listKey.size() + 16;
  for (std::size_t i : which) size += l.items[i].data.size() + 1;
  std::string out;
  out.reserve(size);
  // The summary is an object: its members, then the list's.
  const auto close = l.summary.rfind('}');
  if (close == std::string::npos) {
    out += '{';
  } else {
    out.append(l.summary, 0, close);
    if (l.summary.find_first_not_of(" \t\r\n{", 0) < close) out += ',';
  }
  out += '"';
  out += l.listKey;
  out += "\":[";
  bool first = true;
  for (std::size_t i : which) {
    if (!first) out += ',';
    first = false;
    out += l.items[i].data;
  }
  out += "]}";
  return out;
}

std::optional<std::string> LiveFeed::latest(const std::string& topic) const {
  if (auto it = latest_.find(topic); it != latest_.end()) return it->second;
  auto it = lists_.find(topic);
  if (it == lists_.end()) return std::nullopt;
  const List& l = it->second;
  if (!l.snapshot) {
    std::vector<std::size_t> all(l.items.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    l.snapshot = listBody(l, all);
  }
  return l.snapshot;
}

std::string LiveFeed::take(Subscriber* s) {
  auto found = subscribers_.find(s);
  if (found == subscribers_.end()) return {};
  Pending& p = found->second;
  std::string out;
  for (const auto& topic : p.whole)
    if (auto data = latest(topic)) out += frame(topic, *data);
  p.whole.clear();
  for (const auto& [topic, ids] : p.changed) {
    auto it = lists_.find(topic);
    if (it == lists_.end()) continue;
    const List& l = it->second;
    std::vector<std::size_t> which;
    which.reserve(ids.size());
    for (const auto& id : ids)
      if (auto at = l.index.find(id); at != l.index.end()) which.push_back(at->second);
    std::sort(which.begin(), which.end());  // the list's own order
    out += frame(changedTopic(topic), listBody(l, which));
  }
  p.changed.clear();
  return out;
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
