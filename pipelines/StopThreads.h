#pragma once
// Things that take long to stop (a destination finishing its file, a live input stuck on a
// dead connection) are stopped on short threads of their own, so the event loop never waits.
// Each thread is joined once it is done (at the next run) or by joinAll(), so an 8-hour
// ceremony of reconnects does not pile threads up. One owner, one thread (the io_context's).

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace ceremony::media {

class StopThreads {
 public:
  ~StopThreads() { joinAll(); }  // not copyable: it holds threads

  // Runs `job` on a thread of its own. The flag says when it has returned.
  std::shared_ptr<std::atomic<bool>> run(std::function<void()> job) {
    reapDone();
    auto done = std::make_shared<std::atomic<bool>>(false);
    threads_.push_back({std::thread([job = std::move(job), done] {
                          job();
                          *done = true;
                        }),
                        done});
    return done;
  }
  // Waits for every job still running.
  void joinAll() {
    for (auto& t : threads_)
      if (t.thread.joinable()) t.thread.join();
    threads_.clear();
  }
  std::size_t size() const { return threads_.size(); }

 private:
  void reapDone() {
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (*it->done) {
        it->thread.join();
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
  }
  struct Running {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Running> threads_;
};

}  // namespace ceremony::media
