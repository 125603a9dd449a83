#include "app/ReportWorker.h"

#include <boost/asio/post.hpp>
#include <optional>

namespace ceremony {

struct ReportWorker::Shared {
  explicit Shared(boost::asio::io_context& c) : io(c) {}
  boost::asio::io_context& io;
  // Between the io thread and the worker.
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  struct Job {
    std::filesystem::path journal;
    WallTime now;
    bool draft = true;
  };
  std::optional<Job> job;
  // The io thread's alone.
  bool building = false;
  bool lastDraft = true;
  std::vector<Done> waiting;
  std::shared_ptr<const report::ReportFiles> last;
  std::chrono::steady_clock::time_point lastAt{};
};

ReportWorker::ReportWorker(boost::asio::io_context& io) : shared_(std::make_shared<Shared>(io)) {
  thread_ = std::thread([s = shared_] {
    for (;;) {
      Shared::Job job;
      {
        std::unique_lock lock(s->mutex);
        s->wake.wait(lock, [&] { return s->stop || s->job.has_value(); });
        if (s->stop) return;
        job = std::move(*s->job);
        s->job.reset();
      }
      auto built = std::make_shared<const report::ReportFiles>(
          report::buildReport(report::readJournalFile(job.journal), job.now, job.draft));
      boost::asio::post(s->io, [s, built, draft = job.draft] {
        s->last = built;
        s->lastDraft = draft;
        s->lastAt = std::chrono::steady_clock::now();
        s->building = false;
        auto waiting = std::move(s->waiting);
        s->waiting.clear();
        for (auto& done : waiting) done(built);
      });
    }
  });
}

ReportWorker::~ReportWorker() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->stop = true;
  }
  shared_->wake.notify_all();
  thread_.join();
}

void ReportWorker::request(std::filesystem::path journal, WallTime now, bool draft, Done done,
                           std::chrono::milliseconds fresh) {
  Shared& s = *shared_;
  if (s.last && s.lastDraft == draft && std::chrono::steady_clock::now() - s.lastAt < fresh) {
    done(s.last);
    return;
  }
  s.waiting.push_back(std::move(done));
  if (s.building) return;
  s.building = true;
  {
    std::lock_guard lock(s.mutex);
    s.job = Shared::Job{std::move(journal), now, draft};
  }
  s.wake.notify_one();
}

}  // namespace ceremony
