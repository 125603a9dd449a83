#pragma once
// A plain gst-launch-1.0 publisher: a known picture and tone as H.264 + AAC in FLV over
// rtmp2sink. It proves a peer works independently of ceremonyd, and can stand in for a
// camera or a remote connection point in other tests.

#include <string>
#include <vector>

namespace ceremony::testing {

struct TestPublisherOptions {
  std::string pattern = "red";  // videotestsrc pattern
  int seconds = 5;
  int width = 640;
  int height = 360;
  int fps = 30;
  int keyframeFrames = 60;    // 2 s at 30 fps
  bool tlsValidation = true;  // false: accept the test's self-signed certificate
};

inline std::vector<std::string> testPublisherCommand(const std::string& url,
                                                     const TestPublisherOptions& o = {}) {
  const std::string frames = std::to_string(o.seconds * o.fps);
  // voaacenc takes 1024-sample frames; enough of them to last as long as the video.
  const std::string audioBuffers = std::to_string(o.seconds * 48000 / 1024 + 1);
  std::vector<std::string> argv = {"gst-launch-1.0",
                                   "-q",
                                   "videotestsrc",
                                   "is-live=true",
                                   "num-buffers=" + frames,
                                   "pattern=" + o.pattern,
                                   "!",
                                   "video/x-raw,width=" + std::to_string(o.width) +
                                       ",height=" + std::to_string(o.height) +
                                       ",framerate=" + std::to_string(o.fps) + "/1",
                                   "!",
                                   "x264enc",
                                   "key-int-max=" + std::to_string(o.keyframeFrames),
                                   "tune=zerolatency",
                                   "speed-preset=ultrafast",
                                   "!",
                                   "h264parse",
                                   "!",
                                   "flvmux",
                                   "name=m",
                                   "streamable=true",
                                   "!",
                                   "rtmp2sink",
                                   "location=" + url};
  if (!o.tlsValidation) argv.push_back("tls-validation-flags=0");
  for (const std::string& part :
       {std::string("audiotestsrc"), std::string("is-live=true"),
        std::string("samplesperbuffer=1024"), "num-buffers=" + audioBuffers, std::string("!"),
        std::string("audio/x-raw,rate=48000,channels=2"), std::string("!"), std::string("voaacenc"),
        std::string("!"), std::string("aacparse"), std::string("!"), std::string("m.")})
    argv.push_back(part);
  return argv;
}

}  // namespace ceremony::testing
