#pragma once
// A cheap look at each frame of a live input, made on its streaming thread: is it the same
// picture as the one before (a camera or an encoder that hung while frames still come), and
// is it black. The rules are ffmpeg's freezedetect and blackdetect defaults, on a 160 × 90
// grid of the luma plane rather than every pixel (about 14,000 reads a frame):
//   - still: the mean absolute difference from the previous frame is at most 0.1 % of full
//     scale (−60 dB);
//   - black: at least 98 % of the samples are darker than 10 % of video range (luma ≤ 37).
// PictureWatch turns those verdicts into states that last: frozen after freeze_after of
// still frames, black after black_after of black ones, each over at the first frame that
// is not.

#include <array>
#include <cstdint>

namespace ceremony::media {

struct PictureVerdict {
  bool still = false;  // the same as the previous frame (false for the first)
  bool black = false;
};

class PictureCheck {
 public:
  static constexpr int kColumns = 160;
  static constexpr int kRows = 90;

  // An 8-bit luma plane (video range) of `width` × `height` with `stride` bytes a row.
  PictureVerdict look(const std::uint8_t* luma, int stride, int width, int height);
  // Forget the previous frame (a new pipeline: its first frame is compared with nothing).
  void reset() { haveLast_ = false; }

 private:
  std::array<std::uint8_t, kColumns * kRows> last_{};
  bool haveLast_ = false;
};

// What changed with a frame: the picture has just frozen or moved again, just gone black or
// come back from black.
struct PictureChange {
  bool frozen = false, moving = false, black = false, lit = false;
  bool any() const { return frozen || moving || black || lit; }
};

class PictureWatch {
 public:
  PictureWatch(std::int64_t freezeAfterUs, std::int64_t blackAfterUs)
      : freezeAfterUs_(freezeAfterUs), blackAfterUs_(blackAfterUs) {}

  PictureChange frame(PictureVerdict v, std::int64_t nowUs);
  bool frozen() const { return frozen_; }
  bool black() const { return black_; }
  // Since when the picture has been frozen / black (meaningful while it is).
  std::int64_t stillSinceUs() const { return stillSinceUs_; }
  std::int64_t blackSinceUs() const { return blackSinceUs_; }

 private:
  std::int64_t freezeAfterUs_, blackAfterUs_;
  std::int64_t stillSinceUs_ = -1, blackSinceUs_ = -1;  // -1: not still / not black
  bool frozen_ = false, black_ = false;
};

}  // namespace ceremony::media
