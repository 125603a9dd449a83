#pragma once
// What a viewer would get from a stream or a recording, measured with ffprobe/ffmpeg:
// format, keyframe cadence, the colours on screen at a given time, whether it plays to the
// end. Every run is bounded by a timeout and logged under the test's directory.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "Process.h"

namespace ceremony::testing {

struct Rgb {
  double r = 0, g = 0, b = 0;

  double distanceTo(const Rgb& o) const {
    return std::sqrt((r - o.r) * (r - o.r) + (g - o.g) * (g - o.g) + (b - o.b) * (b - o.b));
  }
  bool near(const Rgb& o, double tolerance) const { return distanceTo(o) <= tolerance; }
  std::string str() const {
    char text[48];
    std::snprintf(text, sizeof text, "rgb(%.0f,%.0f,%.0f)", r, g, b);
    return text;
  }
  // "#RRGGBB" as configs write colours.
  static Rgb hex(const std::string& text) {
    const auto v = std::stoul(text.substr(text[0] == '#' ? 1 : 0), nullptr, 16);
    return {double((v >> 16) & 0xff), double((v >> 8) & 0xff), double(v & 0xff)};
  }
};
inline std::ostream& operator<<(std::ostream& out, const Rgb& c) {
  return out << c.str();
}

// The picture shrunk to n×n cells, each the average colour of its area: enough to tell a
// full-screen source from a picture-in-picture or a slate with text on it.
struct ColourGrid {
  int n = 0;
  std::vector<Rgb> cells;  // row-major, (0,0) top left

  const Rgb& at(int column, int row) const { return cells.at(row * n + column); }
  Rgb average() const { return region(0, 0, n, n); }
  // Average over columns [c0,c1) and rows [r0,r1).
  Rgb region(int c0, int r0, int c1, int r1) const {
    Rgb sum;
    int count = 0;
    for (int row = r0; row < r1; ++row)
      for (int column = c0; column < c1; ++column, ++count) {
        sum.r += at(column, row).r;
        sum.g += at(column, row).g;
        sum.b += at(column, row).b;
      }
    if (count) sum = {sum.r / count, sum.g / count, sum.b / count};
    return sum;
  }
  std::string str() const {
    std::string text;
    for (int row = 0; row < n; ++row) {
      for (int column = 0; column < n; ++column) text += at(column, row).str() + " ";
      text += "\n";
    }
    return text;
  }
};

struct FrameColours {
  double time = 0;  // pts in seconds, as in the file
  ColourGrid grid;
};

struct StreamInfo {
  std::string videoCodec;    // "h264"
  std::string videoProfile;  // "Main", "High", ...
  int width = 0;
  int height = 0;
  double avgFps = 0;         // avg_frame_rate (FLV's millisecond clock makes it 1000/33)
  double declaredFps = 0;    // r_frame_rate
  std::string audioCodec;    // "aac"
  std::string audioProfile;  // "LC"
  int sampleRate = 0;
  int channels = 0;
  double duration = 0;     // container duration, seconds
  double startTime = 0;    // container start, seconds
  std::string formatName;  // "flv", "matroska,webm", ...
};

// The result of decoding a whole file, as a player would.
struct DecodeCheck {
  bool ok = false;
  std::string errors;         // what the demuxer or decoders complained about, if anything
  std::string muxerNotes;     // complaints of the null muxer (e.g. a repeated timestamp): not
                              // a playback problem; check frame times directly if they matter
  double decodedSeconds = 0;  // how far decoding got
  double containerSeconds = 0;
  std::string describe() const {
    return "decoded " + std::to_string(decodedSeconds) + " s of " +
           std::to_string(containerSeconds) + " s; errors: " + (errors.empty() ? "none" : errors) +
           (muxerNotes.empty() ? "" : "; muxer: " + muxerNotes);
  }
};

class MediaProbe {
 public:
  explicit MediaProbe(std::filesystem::path logDir,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : logDir_(std::move(logDir)), timeout_(timeout) {}

  StreamInfo probe(const std::filesystem::path& file) const {
    const auto json = nlohmann::json::parse(
        ffprobe({"-show_format", "-show_streams", "-of", "json", file.string()}));
    StreamInfo info;
    const auto& format = json.at("format");
    info.duration = number(format, "duration");
    info.startTime = number(format, "start_time");
    info.formatName = format.value("format_name", "");
    for (const auto& stream : json.value("streams", nlohmann::json::array())) {
      const auto type = stream.value("codec_type", "");
      if (type == "video" && info.videoCodec.empty()) {
        info.videoCodec = stream.value("codec_name", "");
        info.videoProfile = stream.value("profile", "");
        info.width = stream.value("width", 0);
        info.height = stream.value("height", 0);
        info.avgFps = rate(stream.value("avg_frame_rate", "0/0"));
        info.declaredFps = rate(stream.value("r_frame_rate", "0/0"));
      } else if (type == "audio" && info.audioCodec.empty()) {
        info.audioCodec = stream.value("codec_name", "");
        info.audioProfile = stream.value("profile", "");
        info.sampleRate = std::stoi(stream.value("sample_rate", "0"));
        info.channels = stream.value("channels", 0);
      }
    }
    return info;
  }

  // Presentation times of the video packets, in order; a packet is one frame for H.264.
  std::vector<double> videoFrameTimes(const std::filesystem::path& file) const {
    return packetTimes(file, "v:0", false);
  }
  // Presentation times of the audio packets (AAC: 1024 samples each), in order.
  std::vector<double> audioPacketTimes(const std::filesystem::path& file) const {
    return packetTimes(file, "a:0", false);
  }
  // Presentation times of the video keyframes, in order.
  std::vector<double> keyframeTimes(const std::filesystem::path& file) const {
    return packetTimes(file, "v:0", true);
  }

  // Average colour of the whole picture `seconds` after the start of the file.
  Rgb averageColourAt(const std::filesystem::path& file, double seconds) const {
    return colourGridAt(file, seconds, 1).at(0, 0);
  }

  ColourGrid colourGridAt(const std::filesystem::path& file, double seconds, int n = 4) const {
    const auto raw = ffmpeg({"-ss", std::to_string(seconds), "-i", file.string(), "-frames:v", "1",
                             "-vf", scaleTo(n), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"});
    auto grids = toGrids(raw, n);
    if (grids.empty())
      throw std::runtime_error("no frame at " + std::to_string(seconds) + " s in " + file.string());
    return grids.front();
  }

  // Every decoded frame with its time: one decode of the file for all colour questions, so a
  // test can find exactly when the picture changed.
  std::vector<FrameColours> colourTrack(const std::filesystem::path& file, int n = 8) const {
    const auto raw =
        ffmpeg({"-i", file.string(), "-an", "-vf", scaleTo(n) + ",showinfo", "-fps_mode",
                "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"},
               "info");
    auto grids = toGrids(raw, n);
    std::vector<double> times;
    std::istringstream lines(lastErr_);
    for (std::string line; std::getline(lines, line);) {
      const auto at = line.find(" pts_time:");
      if (line.find("showinfo") != std::string::npos && at != std::string::npos)
        times.push_back(std::stod(line.substr(at + 10)));
    }
    if (times.size() != grids.size())
      throw std::runtime_error("colourTrack: " + std::to_string(grids.size()) + " frames but " +
                               std::to_string(times.size()) + " times for " + file.string());
    std::vector<FrameColours> track;
    for (std::size_t i = 0; i < grids.size(); ++i) track.push_back({times[i], grids[i]});
    return track;
  }

  // Decodes everything; ok when ffmpeg exits 0, says nothing at -v error, and got to within
  // `tolerance` seconds of the container's duration.
  DecodeCheck readsToEnd(const std::filesystem::path& file, double tolerance = 0.5) const {
    DecodeCheck check;
    const auto progress = logDir_ / ("progress-" + std::to_string(++counter_) + ".txt");
    const auto result = runToEnd({"ffmpeg", "-nostdin", "-v", "error", "-i", file.string(), "-f",
                                  "null", "-", "-progress", progress.string()},
                                 logDir_, timeout_);
    std::istringstream messages(result.err);
    bool fromMuxer = false;
    for (std::string line; std::getline(messages, line);) {
      // "    Last message repeated N times" belongs to the line before it.
      if (line.find("Last message repeated") == std::string::npos)
        fromMuxer = line.rfind("[null @", 0) == 0;
      (fromMuxer ? check.muxerNotes : check.errors) += line + "\n";
    }
    if (!result.exitStatus) check.errors += "(timed out)";
    std::istringstream lines(readText(progress));
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("out_time_us=", 0) == 0 && line.find("N/A") == std::string::npos)
        check.decodedSeconds = std::stod(line.substr(12)) / 1e6;
    try {
      check.containerSeconds = probe(file).duration;
    } catch (const std::exception& e) {
      check.errors += std::string(" ffprobe: ") + e.what();
    }
    check.ok = result.ok() && check.errors.empty() && check.containerSeconds > 0 &&
               std::abs(check.decodedSeconds - check.containerSeconds) <= tolerance;
    return check;
  }

 private:
  static std::string scaleTo(int n) {
    // RGB first, at full size: shrinking YUV 4:2:0 straight to a few pixels mixes chroma of
    // neighbouring cells (a white cell next to red came out pink). Then "area" averages every
    // pixel of a cell; the default bicubic would sample a few.
    return "format=rgb24,scale=" + std::to_string(n) + ":" + std::to_string(n) + ":flags=area";
  }

  static double number(const nlohmann::json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return 0;
    return std::stod(it->get<std::string>());
  }

  static double rate(const std::string& fraction) {
    const auto slash = fraction.find('/');
    if (slash == std::string::npos) return std::stod(fraction);
    const double den = std::stod(fraction.substr(slash + 1));
    return den == 0 ? 0 : std::stod(fraction.substr(0, slash)) / den;
  }

  static std::vector<ColourGrid> toGrids(const std::string& raw, int n) {
    const std::size_t frameBytes = std::size_t(n) * n * 3;
    std::vector<ColourGrid> grids;
    for (std::size_t at = 0; at + frameBytes <= raw.size(); at += frameBytes) {
      ColourGrid grid{n, {}};
      for (std::size_t i = 0; i < frameBytes; i += 3) {
        const auto* p = reinterpret_cast<const unsigned char*>(raw.data() + at + i);
        grid.cells.push_back({double(p[0]), double(p[1]), double(p[2])});
      }
      grids.push_back(std::move(grid));
    }
    return grids;
  }

  std::vector<double> packetTimes(const std::filesystem::path& file, const std::string& stream,
                                  bool keyframesOnly) const {
    const auto csv =
        ffprobe({"-select_streams", stream, "-show_packets", "-show_entries",
                 "packet=pts_time,flags", "-of", "csv=print_section=0", file.string()});
    std::vector<double> times;
    std::istringstream lines(csv);
    for (std::string line; std::getline(lines, line);) {
      const auto comma = line.find(',');
      if (comma == std::string::npos || line.compare(0, 3, "N/A") == 0) continue;
      if (keyframesOnly && line.find('K', comma) == std::string::npos) continue;
      times.push_back(std::stod(line.substr(0, comma)));
    }
    std::sort(times.begin(), times.end());
    return times;
  }

  std::string ffprobe(std::vector<std::string> args) const {
    args.insert(args.begin(), {"ffprobe", "-v", "error"});
    const auto result = runToEnd(args, logDir_, timeout_);
    if (!result.ok()) throw std::runtime_error("ffprobe failed: " + result.describe());
    return result.out;
  }

  std::string ffmpeg(std::vector<std::string> args, const std::string& level = "error") const {
    args.insert(args.begin(), {"ffmpeg", "-nostdin", "-nostats", "-v", level});
    const auto result = runToEnd(args, logDir_, timeout_);
    lastErr_ = result.err;
    if (!result.ok()) throw std::runtime_error("ffmpeg failed: " + result.describe());
    return result.out;
  }

  std::filesystem::path logDir_;
  std::chrono::milliseconds timeout_;
  mutable std::string lastErr_;
  mutable int counter_ = 0;
};

// Intervals between consecutive times, e.g. keyframe spacing.
inline std::vector<double> intervals(const std::vector<double>& times) {
  std::vector<double> gaps;
  for (std::size_t i = 1; i < times.size(); ++i) gaps.push_back(times[i] - times[i - 1]);
  return gaps;
}

// The longest pause between consecutive times at or after `from` (0 with fewer than two):
// a stream or recording that never stopped has one frame interval here.
inline double largestGap(const std::vector<double>& times,
                         double from = -std::numeric_limits<double>::infinity()) {
  double worst = 0;
  for (std::size_t i = 1; i < times.size(); ++i)
    if (times[i - 1] >= from) worst = std::max(worst, times[i] - times[i - 1]);
  return worst;
}

// The files of a recording directory in the order they were written: X.mkv, X-2.mkv, …,
// X-10.mkv (by name length first, so -10 comes after -9).
// A live input's stand-in card («Mất tín hiệu»): its background (#3a3a3a) fills the lower
// quarter of an 8×8 grid; no test pattern or feed looks like that.
inline bool isStandInCard(const ColourGrid& g) {
  for (int r = 6; r < 8; ++r)
    for (int c = 0; c < 8; ++c) {
      const Rgb& p = g.cells[r * 8 + c];
      if (std::abs(p.r - 58) > 14 || std::abs(p.g - 58) > 14 || std::abs(p.b - 58) > 14)
        return false;
    }
  return true;
}

inline std::vector<std::filesystem::path> recordingFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end(),
            [](const std::filesystem::path& a, const std::filesystem::path& b) {
              const auto la = a.stem().string().size(), lb = b.stem().string().size();
              return la != lb ? la < lb : a < b;
            });
  return files;
}

inline std::string listOf(const std::vector<double>& values, int precision = 3) {
  std::string text;
  char number[32];
  for (double v : values) {
    std::snprintf(number, sizeof number, "%.*f", precision, v);
    text += (text.empty() ? "" : " ") + std::string(number);
  }
  return text;
}

}  // namespace ceremony::testing
