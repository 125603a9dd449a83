#pragma once
// The wall clock burnt into a test source's frames as a machine-readable strip, and its
// reader: what lets a point's browser measure the glass-to-glass delay (tests/bench,
// tests/integration/BridgeTest.cpp; the browser's reader is tests/tools/clock_strip.js).
//
// The strip is a row of kCells square cells near the top-left corner, on a black band: each
// cell solid white (1) or solid black (0). Cell 0 is white and cell 1 black (guards), cells
// 2..25 are the 24 bits of (Unix milliseconds mod 2^24), most significant first, cell 26 is
// their parity (XOR) and cell 27 its inverse. A cell is height/30 pixels wide (24 at 720p):
// solid blocks that size come through x264 at a few Mbps and a reader samples their centres.
// Anything that reads the strip computes the same geometry from the picture's size.

#include <gst/gst.h>
#include <gst/video/video.h>

#include <array>
#include <cstdint>
#include <optional>

namespace ceremony::media::clockstrip {

inline constexpr int kBits = 24;
inline constexpr int kCells = kBits + 4;
inline constexpr std::uint32_t kModulus = 1u << kBits;

// Where the strip is in a picture of that size, in pixels: cell c covers
// [x0 + c*block, x0 + (c+1)*block) × [y0, y0 + block); the black band under it covers
// [0, bandWidth) × [0, bandHeight).
struct Geometry {
  int block = 0;
  int x0 = 0;
  int y0 = 0;
  int bandWidth = 0;
  int bandHeight = 0;
};
// nullopt for a picture too small to hold a strip of cells 2 pixels wide.
std::optional<Geometry> geometryFor(int width, int height);

// The value a strip carries for a wall-clock time (Unix milliseconds).
std::uint32_t valueAt(std::int64_t unixMs);
// Now as Unix milliseconds (g_get_real_time), what the strip of a frame made now carries.
std::int64_t nowUnixMs();
// How long ago (ms) the strip carrying `value` was made, seen at `nowMs`: the difference mod
// 2^24, negative when the strip is ahead of now (clocks apart), within ±2^23 ms (2.3 hours).
std::int64_t ageMs(std::uint32_t value, std::int64_t nowMs);

// The cells (true = white) carrying `value` (its low 24 bits), and back: nullopt when a guard
// or the parity is wrong (no strip there, or a cell misread).
std::array<bool, kCells> encode(std::uint32_t value);
std::optional<std::uint32_t> decode(const std::array<bool, kCells>& cells);

// Draws the strip carrying `value` onto a mapped raw frame (any format of 8-bit components:
// I420, NV12, AYUV, BGRA, …). False when the format or the size cannot hold it.
bool draw(GstVideoFrame* frame, std::uint32_t value);
// Reads the strip from luma samples (`pixelStride` bytes apart on a row, `stride` bytes from
// row to row) of a picture of that size: each cell's mean around its centre, white above the
// middle of the range.
std::optional<std::uint32_t> decodeLuma(const std::uint8_t* luma, int stride, int pixelStride,
                                        int width, int height);
// The same from a mapped raw frame of a YUV format (its Y component) or an RGB one.
std::optional<std::uint32_t> decodeFrame(const GstVideoFrame* frame);

// Adds a probe to `pad` (raw video) that burns the wall clock into every frame as it passes.
void burnInto(GstPad* pad);

}  // namespace ceremony::media::clockstrip
