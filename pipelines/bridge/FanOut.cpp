#include "pipelines/bridge/FanOut.h"

#include <spdlog/spdlog.h>

#include <pthread.h>

#include <algorithm>
#include <string>
#include <utility>

namespace ceremony::media::bridge {

FanOut::FanOut(unsigned workers, std::size_t queueLimit, Deliver deliver)
    : queueLimit_(queueLimit), deliver_(std::move(deliver)) {
  for (unsigned i = 0; i < std::max(1u, workers); ++i) queues_.push_back(std::make_unique<Queue>());
}

FanOut::~FanOut() {
  stop();
}

unsigned FanOut::workersForThisMachine() {
  return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

void FanOut::start() {
  for (unsigned i = 0; i < queues_.size(); ++i) {
    Queue& q = *queues_[i];
    if (q.thread.joinable()) continue;
    {
      std::lock_guard lock(q.mutex);
      q.stopping = false;
    }
    stopping_ = false;
    q.thread = std::thread([this, i] { run(i); });
  }
}

void FanOut::stop() {
  stopping_ = true;
  for (auto& q : queues_) {
    {
      std::lock_guard lock(q->mutex);
      q->stopping = true;
    }
    q->ready.notify_one();
  }
  for (auto& q : queues_) {
    if (q->thread.joinable()) q->thread.join();
    for (Packet& p : q->packets) gst_buffer_unref(p.rtp);
    q->packets.clear();
  }
}

void FanOut::post(RtpStream stream, GstBuffer* rtp, GstClockTime runningTime) {
  bool lost = false;
  for (auto& q : queues_) {
    {
      std::lock_guard lock(q->mutex);
      if (q->stopping || !q->thread.joinable()) continue;
      if (q->packets.size() >= queueLimit_) {
        lost = true;
        continue;
      }
      q->packets.push_back({stream, gst_buffer_ref(rtp), runningTime});
    }
    q->ready.notify_one();
  }
  if (lost) noteLoss();
}

void FanOut::noteLoss() {
  const std::uint64_t total = ++dropped_;
  // Said at most every 10 s: the machine is short of CPU for its viewers.
  const gint64 now = g_get_monotonic_time();
  gint64 last = lastSaidUs_.load();
  if (last != 0 && now - last < 10 * G_USEC_PER_SEC) return;
  if (!lastSaidUs_.compare_exchange_strong(last, now)) return;
  spdlog::warn(
      "Cầu truyền hình: máy không kịp gửi cho mọi điểm cầu, đã bỏ {} gói tin (thêm lõi CPU hoặc "
      "giảm max_viewers)",
      total);
}

void FanOut::run(unsigned worker) {
  // Named for top -H and the journal's thread dumps: "bridge-send-0", …
  const std::string name = "bridge-send-" + std::to_string(worker);
  pthread_setname_np(pthread_self(), name.c_str());
  Queue& q = *queues_[worker];
  std::deque<Packet> batch;
  for (;;) {
    {
      std::unique_lock lock(q.mutex);
      q.ready.wait(lock, [&] { return q.stopping || !q.packets.empty(); });
      if (q.stopping) return;
      batch.swap(q.packets);
    }
    for (Packet& p : batch) {
      if (!stopping_) deliver_(worker, p.stream, p.rtp, p.runningTime);
      gst_buffer_unref(p.rtp);
    }
    batch.clear();
  }
}

}  // namespace ceremony::media::bridge
