#pragma once
// Builds the results report off the event loop: a journal of a long national ceremony takes
// seconds to read, and the io_context thread must keep answering heartbeats and commands
// meanwhile. One worker thread; requests that come while a build runs share its result, and a
// report a second or two old is served as it is.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/WallTime.h"
#include "report/Report.h"

namespace ceremony {

class ReportWorker {
 public:
  using Done = std::function<void(std::shared_ptr<const report::ReportFiles>)>;

  explicit ReportWorker(boost::asio::io_context& io);
  ~ReportWorker();  // waits for a build in progress
  ReportWorker(const ReportWorker&) = delete;
  ReportWorker& operator=(const ReportWorker&) = delete;

  // On the io_context thread: `done` is called there with the report of `journal` as of
  // `now` (a draft when `draft`), or with one built less than `fresh` ago.
  void request(std::filesystem::path journal, WallTime now, bool draft, Done done,
               std::chrono::milliseconds fresh = std::chrono::milliseconds(2000));

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace ceremony
