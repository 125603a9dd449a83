#pragma once
// A value many threads read often and one changes rarely (the list of a mixer's
// destinations, the bridge's viewers): a reader takes the current snapshot and uses it with no lock
// held; an edit makes a new value, so a snapshot already taken never changes under its reader.

#include <memory>
#include <mutex>
#include <utility>

namespace ceremony::media {

template <typename T>
class CopyOnWrite {
 public:
  // Any thread: the current value, kept alive for as long as the caller holds it.
  std::shared_ptr<const T> snapshot() const {
    std::lock_guard lock(swapMutex_);
    return current_;
  }
  // Any thread: `edit(T&)` changes a copy, which then replaces the current value. Edits are
  // serialised; readers are held only for the swap of the pointer.
  template <typename Edit>
  void edit(Edit edit) {
    std::shared_ptr<const T> previous;
    {
      std::lock_guard lock(swapMutex_);
      auto next = std::make_shared<T>(*current_);
      edit(*next);
      previous = std::exchange(current_, std::move(next));
    }
    // The previous value goes (if no reader holds it) outside the lock.
  }
  // Any thread: `next` is what readers see from now on; those holding the previous value
  // finish with it.
  void replace(T next) {
    std::shared_ptr<const T> fresh = std::make_shared<const T>(std::move(next));
    {
      std::lock_guard lock(swapMutex_);
      current_.swap(fresh);
    }
  }

 private:
  mutable std::mutex swapMutex_;  // only to read or replace current_
  std::shared_ptr<const T> current_ = std::make_shared<const T>();
};

}  // namespace ceremony::media
