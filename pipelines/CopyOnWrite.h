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
  // serialised among themselves (editMutex_); a reader waits at most for the swap of the
  // pointer, never for the copy or the edit.
  template <typename Edit>
  void edit(Edit edit) {
    std::lock_guard editing(editMutex_);
    auto next = std::make_shared<T>(*snapshot());
    edit(*next);
    install(std::move(next));
  }
  // Any thread: `next` is what readers see from now on; those holding the previous value
  // finish with it.
  void replace(T next) {
    std::lock_guard editing(editMutex_);
    install(std::make_shared<const T>(std::move(next)));
  }

 private:
  void install(std::shared_ptr<const T> fresh) {
    {
      std::lock_guard lock(swapMutex_);
      current_.swap(fresh);
    }
    // `fresh` holds the previous value now: it goes (if no reader holds it) outside the lock.
  }

  std::mutex editMutex_;          // one edit or replacement at a time; no reader takes it
  mutable std::mutex swapMutex_;  // only to read or replace current_
  std::shared_ptr<const T> current_ = std::make_shared<const T>();
};

}  // namespace ceremony::media
