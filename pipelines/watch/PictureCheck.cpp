#include "pipelines/watch/PictureCheck.h"

#include <cstdlib>

namespace ceremony::media {

PictureVerdict PictureCheck::look(const std::uint8_t* luma, int stride, int width, int height) {
  PictureVerdict v;
  if (!luma || width <= 0 || height <= 0) return v;
  std::array<std::uint8_t, kColumns * kRows> now;
  long difference = 0;
  int dark = 0;
  // Sample centres: no two samples share a pixel even at a small size.
  for (int r = 0; r < kRows; ++r) {
    const std::uint8_t* row = luma + static_cast<long>((2 * r + 1) * height / (2 * kRows)) * stride;
    for (int c = 0; c < kColumns; ++c) {
      const std::uint8_t y = row[(2 * c + 1) * width / (2 * kColumns)];
      const int i = r * kColumns + c;
      now[i] = y;
      difference += std::abs(int(y) - int(last_[i]));
      dark += y <= 37;
    }
  }
  constexpr int n = kColumns * kRows;
  // Mean absolute difference ≤ 0.001 of 255, with integers: sum × 1000 ≤ 255 × n.
  v.still = haveLast_ && difference * 1000 <= 255L * n;
  v.black = dark * 100 >= 98 * n;
  last_ = now;
  haveLast_ = true;
  return v;
}

PictureChange PictureWatch::frame(PictureVerdict v, std::int64_t nowUs) {
  PictureChange c;
  if (v.still) {
    if (stillSinceUs_ < 0) stillSinceUs_ = nowUs;
    if (!frozen_ && nowUs - stillSinceUs_ >= freezeAfterUs_) frozen_ = c.frozen = true;
  } else {
    stillSinceUs_ = -1;
    if (frozen_) {
      frozen_ = false;
      c.moving = true;
    }
  }
  if (v.black) {
    if (blackSinceUs_ < 0) blackSinceUs_ = nowUs;
    if (!black_ && nowUs - blackSinceUs_ >= blackAfterUs_) black_ = c.black = true;
  } else {
    blackSinceUs_ = -1;
    if (black_) {
      black_ = false;
      c.lit = true;
    }
  }
  return c;
}

}  // namespace ceremony::media
