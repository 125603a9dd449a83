#pragma once
// The bridge's sending threads: every packet the packetiser makes is handed to each of a few
// worker threads, and each worker pushes it to its own share of the viewers. One thread
// cannot send the programme to 96 viewers (on this project's 2-core machine the video alone
// took a whole core at about 80), and a thread per viewer spends more on waking up than on
// sending; one worker per core uses the machine. Each viewer is served by one worker for
// both its audio and its video, so two threads never push into one viewer's webrtcbin at
// once.
//
//   packetiser's streaming threads ─► post() ─► worker 0's queue ─► deliver(0, …) ─► viewers 0, 2,
//   …
//                                           └─► worker 1's queue ─► deliver(1, …) ─► viewers 1, 3,
//                                           …
//
// post() never waits: a worker whose queue is full (the machine is short of CPU for its
// viewers) loses the packet, counted in dropped(); the other workers and the programme go on.

#include <gst/gst.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ceremony::media::bridge {

// Which of the bridge's RTP streams a packet is of: the programme's picture, its sound, or
// the points' mix (its sound without any point's voice, for the points on air).
enum class RtpStream : std::uint8_t { Video, Audio, PointsAudio };

class FanOut {
 public:
  // Called on worker `worker`'s thread with a packet it does not own.
  using Deliver = std::function<void(unsigned worker, RtpStream stream, GstBuffer* rtp,
                                     GstClockTime runningTime)>;

  // `workers` threads (at least 1), each holding at most `queueLimit` packets.
  FanOut(unsigned workers, std::size_t queueLimit, Deliver deliver);
  ~FanOut();
  FanOut(const FanOut&) = delete;
  FanOut& operator=(const FanOut&) = delete;

  // One worker per core the machine has, at least 1 and at most 4.
  static unsigned workersForThisMachine();

  void start();
  // Joins the workers; packets still queued are released, not delivered.
  void stop();
  unsigned workers() const { return static_cast<unsigned>(queues_.size()); }

  // Any thread, never blocking: the packet (borrowed: each worker takes a reference) to every
  // worker.
  void post(RtpStream stream, GstBuffer* rtp, GstClockTime runningTime);
  std::uint64_t dropped() const { return dropped_; }

 private:
  struct Packet {
    RtpStream stream = RtpStream::Video;
    GstBuffer* rtp = nullptr;  // a reference of the queue's
    GstClockTime runningTime = GST_CLOCK_TIME_NONE;
  };
  struct Queue {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<Packet> packets;
    bool stopping = false;
    std::thread thread;
  };
  void run(unsigned worker);
  void noteLoss();  // counts a packet a worker lost, and says so in the log now and then

  std::size_t queueLimit_;
  Deliver deliver_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::atomic<bool> stopping_{false};  // workers release what they hold without delivering
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<gint64> lastSaidUs_{0};
};

}  // namespace ceremony::media::bridge
