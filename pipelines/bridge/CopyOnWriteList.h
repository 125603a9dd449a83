#pragma once
// A list that streaming threads walk with no lock held while one thread (the io_context)
// changes it: a reader takes the current list, a shared and never-changed vector, and keeps
// it as long as it walks it; a writer replaces the whole list. The mutex guards only the
// pointer, for the time of a copy or a swap.
//
//   CopyOnWriteList<std::shared_ptr<Viewer>> list;
//   list.replace({a, b});                      // io thread
//   for (const auto& v : *list.snapshot()) …   // any thread, no lock while walking

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace ceremony::media::bridge {

template <typename T>
class CopyOnWriteList {
 public:
  using List = std::vector<T>;

  std::shared_ptr<const List> snapshot() const {
    std::lock_guard lock(mutex_);
    return list_;
  }

  // The list readers see from now on; those walking the previous one finish with it.
  void replace(List next) {
    std::shared_ptr<const List> fresh = std::make_shared<const List>(std::move(next));
    {
      std::lock_guard lock(mutex_);
      list_.swap(fresh);
    }
    // `fresh` now holds the previous list: let go of it outside the lock.
  }

 private:
  mutable std::mutex mutex_;  // only to read or replace list_
  std::shared_ptr<const List> list_ = std::make_shared<const List>();
};

}  // namespace ceremony::media::bridge
