#pragma once
// What every return feed has between the streams a point sends and the tail every live input
// has (LiveInputPipeline::startWith), whatever carried them (WHIP or SRT):
//
//   the picture, H.264 access units ─► ⊘ ─► decodebin ─► normaliser ─► tee ─► queue ─► "video"
//                                                                       └─► a mosaic tile's branch
//   the sound, encoded               ─► ⊘ ─► decodebin ─► normaliser ──────────────────► "audio"
//
// ⊘ is the gate: a feed is decoded only while something shows it (its point on the programme
// or about to be, a mosaic tile). Closed, what comes is dropped before any decoder (the
// transport still counts it), so many points sending cost little. Opened, it asks the sender
// for a keyframe where it can (WHIP: an RTCP PLI) and lets the picture through from the next
// keyframe on. A tile's branch scales the picture to the tile and writes the commune's name at
// its foot, on the feed's own thread, into the tile's inter channel.

#include <gst/gst.h>

#include <memory>
#include <optional>
#include <string>

#include "config/Config.h"
#include "pipelines/inputs/LiveInput.h"

namespace ceremony::media {

// A mosaic tile the feed's picture goes to: its inter channel and size.
struct TileTarget {
  std::string channel;
  int width = 0;
  int height = 0;
  bool operator==(const TileTarget&) const = default;
};

class FeedPicture {
 public:
  // Builds the normalisers, the tee and the bin's "video" and "audio" ghost pads into `bin`.
  // `watch` is the input's: idle while the gate is closed. `decode`: open from the start.
  FeedPicture(GstElement* bin, const ProgrammeFormat& f, std::string name,
              std::shared_ptr<InputWatch> watch, bool decode);
  FeedPicture(const FeedPicture&) = delete;
  FeedPicture& operator=(const FeedPicture&) = delete;

  // Streaming thread (a demuxer's or webrtcbin's pad-added): the picture, as whole H.264
  // access units (after a depayloader or a parser), through the gate to a decoder. A keyframe
  // request goes upstream from `askFrom` (a sink pad before the gate; null: the sender cannot
  // be asked, its next keyframe is waited for).
  void linkVideo(GstPad* pad, GstPad* askFrom);
  // Streaming thread: the sound, encoded, through the gate to a decoder.
  void linkAudio(GstPad* pad);

  // io_context thread.
  void setDecoding(bool on);
  bool decoding() const;
  void showOnTile(const std::optional<TileTarget>& tile);
  const std::optional<TileTarget>& tile() const { return tile_; }
  // The feed's pipeline has stopped: its elements are gone.
  void stopped();

  struct Gate;  // FeedPicture.cpp

 private:
  void linkDecoder(GstPad* pad);

  GstElement* bin_;  // owned by the pipeline
  ProgrammeFormat format_;
  std::string name_;
  std::shared_ptr<InputWatch> watch_;
  std::shared_ptr<Gate> gate_;
  GstElement* video_ = nullptr;  // the normalisers' first elements, owned by the bin
  GstElement* audio_ = nullptr;
  GstElement* tee_ = nullptr;
  std::optional<TileTarget> tile_;
  GstElement* tileBranch_ = nullptr;  // a bin: queue ─► scale ─► name ─► intervideosink
};

}  // namespace ceremony::media
