#pragma once
// ffmpeg as a commune's hardware encoder publishing its point's picture over SRT
// ([bridge] srt_publish_port): a colour with a white ball moving on it and a 1 kHz tone,
// x264 zerolatency with a keyframe every second, AAC, MPEG-TS. The point's token is the
// passphrase: it is on ffmpeg's command line (ffmpeg 5.1 reads it nowhere else; this is a
// test's peer, not the daemon), and what ffmpeg says is shown with the secrets replaced.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/Process.h"

namespace ceremony::testing {

// "#!::r=<point>,m=publish" as it stands in ffmpeg's srt:// URL (ffmpeg 5.1 does not
// percent-decode the stream id: it goes as written).
inline std::string streamIdFor(const std::string& point) {
  return "#!::r=" + point + ",m=publish";
}

// ffmpeg as a point's encoder, in a process of its own; its output kept in a file.
class SrtEncoder {
 public:
  SrtEncoder(const std::filesystem::path& dir, const std::string& name, int port,
             const std::string& point, const std::string& passphrase, const std::string& colour)
      : log_(dir / ("ffmpeg-" + name + ".log")) {
    const std::string picture = "color=c=" + colour +
                                ":s=320x180:r=25[bg];color=c=white:s=40x40:r=25[ball];"
                                "[bg][ball]overlay=x='mod(t*160,280)':y=70[out0]";
    const std::string url = "srt://127.0.0.1:" + std::to_string(port) +
                            "?streamid=" + streamIdFor(point) + "&passphrase=" + passphrase +
                            "&latency=120000&connect_timeout=3000";
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"ffmpeg",   "-hide_banner",
                                 "-nostdin", "-loglevel",
                                 "error",    "-re",
                                 "-f",       "lavfi",
                                 "-i",       picture,
                                 "-f",       "lavfi",
                                 "-i",       "sine=frequency=1000:sample_rate=48000",
                                 "-c:v",     "libx264",
                                 "-preset",  "ultrafast",
                                 "-tune",    "zerolatency",
                                 "-g",       "25",
                                 "-pix_fmt", "yuv420p",
                                 "-b:v",     "600k",
                                 "-c:a",     "aac",
                                 "-b:a",     "64k",
                                 "-f",       "mpegts",
                                 url},
        ProcessOptions{log_});
  }
  Process& process() { return *process_; }
  // What ffmpeg said, with every secret of the test replaced (ffmpeg names its output URL
  // in its errors).
  std::string output(const std::vector<std::string>& secrets) const {
    std::string text = readText(log_);
    for (const auto& s : secrets)
      for (auto at = text.find(s); at != std::string::npos; at = text.find(s, at))
        text.replace(at, s.size(), "***");
    return text;
  }

 private:
  std::filesystem::path log_;
  std::unique_ptr<Process> process_;
};

}  // namespace ceremony::testing
