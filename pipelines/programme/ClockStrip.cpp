#include "pipelines/programme/ClockStrip.h"

#include <algorithm>
#include <cstddef>
#include <functional>

#include "pipelines/GstPtr.h"

namespace ceremony::media::clockstrip {

std::optional<Geometry> geometryFor(int width, int height) {
  // One cell is a thirtieth of the height, narrowed if the row would not fit the width.
  const int block = std::min(height / 30, width / (kCells + 1));
  if (block < 2) return std::nullopt;
  Geometry g;
  g.block = block;
  g.x0 = block / 2;
  g.y0 = block / 2;
  g.bandWidth = 2 * g.x0 + kCells * block;
  g.bandHeight = 2 * g.y0 + block;
  return g;
}

std::uint32_t valueAt(std::int64_t unixMs) {
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(unixMs) % kModulus);
}

std::int64_t nowUnixMs() {
  return g_get_real_time() / 1000;
}

std::int64_t ageMs(std::uint32_t value, std::int64_t nowMs) {
  std::int64_t d = (static_cast<std::int64_t>(valueAt(nowMs)) - (value % kModulus)) % kModulus;
  if (d < 0) d += kModulus;
  return d >= kModulus / 2 ? d - kModulus : d;
}

std::array<bool, kCells> encode(std::uint32_t value) {
  std::array<bool, kCells> cells{};
  cells[0] = true;
  cells[1] = false;
  bool parity = false;
  for (int i = 0; i < kBits; ++i) {
    bool bit = (value >> (kBits - 1 - i)) & 1u;
    cells[2 + i] = bit;
    parity ^= bit;
  }
  cells[kCells - 2] = parity;
  cells[kCells - 1] = !parity;
  return cells;
}

std::optional<std::uint32_t> decode(const std::array<bool, kCells>& cells) {
  if (!cells[0] || cells[1] || cells[kCells - 2] == cells[kCells - 1]) return std::nullopt;
  std::uint32_t value = 0;
  bool parity = false;
  for (int i = 0; i < kBits; ++i) {
    value = (value << 1) | (cells[2 + i] ? 1u : 0u);
    parity ^= cells[2 + i];
  }
  if (parity != cells[kCells - 2]) return std::nullopt;
  return value;
}

namespace {

// Each cell's mean sample around its centre (the middle half of the cell, where an encoder's
// ringing at the edges does not reach), white above the middle of the range.
std::optional<std::uint32_t> decodeSamples(int width, int height,
                                           const std::function<int(int x, int y)>& lumaAt) {
  auto g = geometryFor(width, height);
  if (!g) return std::nullopt;
  std::array<bool, kCells> cells{};
  const int half = std::max(1, g->block / 4);
  for (int c = 0; c < kCells; ++c) {
    const int cx = g->x0 + c * g->block + g->block / 2;
    const int cy = g->y0 + g->block / 2;
    long sum = 0, n = 0;
    for (int y = cy - half; y < cy + half; ++y)
      for (int x = cx - half; x < cx + half; ++x) {
        sum += lumaAt(x, y);
        ++n;
      }
    cells[c] = sum > 128 * n;
  }
  return decode(cells);
}

}  // namespace

bool draw(GstVideoFrame* frame, std::uint32_t value) {
  const GstVideoFormatInfo* info = frame->info.finfo;
  const int width = GST_VIDEO_FRAME_WIDTH(frame), height = GST_VIDEO_FRAME_HEIGHT(frame);
  auto g = geometryFor(width, height);
  if (!g || GST_VIDEO_FORMAT_INFO_IS_TILED(info) ||
      !(GST_VIDEO_FORMAT_INFO_IS_YUV(info) || GST_VIDEO_FORMAT_INFO_IS_RGB(info)))
    return false;
  const int components = static_cast<int>(GST_VIDEO_FORMAT_INFO_N_COMPONENTS(info));
  for (int c = 0; c < components; ++c)
    if (GST_VIDEO_FORMAT_INFO_DEPTH(info, c) != 8 || GST_VIDEO_FORMAT_INFO_SHIFT(info, c) != 0)
      return false;
  const bool yuv = GST_VIDEO_FORMAT_INFO_IS_YUV(info);
  const auto cells = encode(value);
  // The sample of component c for black or white: YUV in video range, chroma neutral.
  auto sample = [&](int c, bool white) -> std::uint8_t {
    if (c == GST_VIDEO_COMP_A) return 255;
    if (yuv && c != GST_VIDEO_COMP_Y) return 128;
    if (yuv) return white ? 235 : 16;
    return white ? 255 : 0;
  };
  for (int c = 0; c < components; ++c) {
    auto* data = static_cast<std::uint8_t*>(GST_VIDEO_FRAME_COMP_DATA(frame, c));
    const int stride = GST_VIDEO_FRAME_COMP_STRIDE(frame, c);
    const int pstride = GST_VIDEO_FRAME_COMP_PSTRIDE(frame, c);
    const int wsub = GST_VIDEO_FORMAT_INFO_W_SUB(info, c);
    const int hsub = GST_VIDEO_FORMAT_INFO_H_SUB(info, c);
    // Over the band, in this component's own (subsampled) coordinates; a subsampled sample
    // is drawn from the full-resolution pixel at its top-left.
    const int cw = GST_VIDEO_FRAME_COMP_WIDTH(frame, c);
    const int ch = GST_VIDEO_FRAME_COMP_HEIGHT(frame, c);
    const int bw = std::min(cw, (g->bandWidth + (1 << wsub) - 1) >> wsub);
    const int bh = std::min(ch, (g->bandHeight + (1 << hsub) - 1) >> hsub);
    for (int sy = 0; sy < bh; ++sy) {
      std::uint8_t* row = data + static_cast<std::ptrdiff_t>(sy) * stride;
      const int y = sy << hsub;
      const bool inRow = y >= g->y0 && y < g->y0 + g->block;
      for (int sx = 0; sx < bw; ++sx) {
        const int x = sx << wsub;
        bool white = false;
        if (inRow && x >= g->x0 && x < g->x0 + kCells * g->block)
          white = cells[(x - g->x0) / g->block];
        row[static_cast<std::ptrdiff_t>(sx) * pstride] = sample(c, white);
      }
    }
  }
  return true;
}

std::optional<std::uint32_t> decodeLuma(const std::uint8_t* luma, int stride, int pixelStride,
                                        int width, int height) {
  return decodeSamples(width, height, [&](int x, int y) {
    return luma[static_cast<std::ptrdiff_t>(y) * stride +
                static_cast<std::ptrdiff_t>(x) * pixelStride];
  });
}

std::optional<std::uint32_t> decodeFrame(const GstVideoFrame* frame) {
  const GstVideoFormatInfo* info = frame->info.finfo;
  const int width = GST_VIDEO_FRAME_WIDTH(frame), height = GST_VIDEO_FRAME_HEIGHT(frame);
  if (GST_VIDEO_FORMAT_INFO_IS_TILED(info)) return std::nullopt;
  for (int c = 0; c < static_cast<int>(GST_VIDEO_FORMAT_INFO_N_COMPONENTS(info)); ++c)
    if (GST_VIDEO_FORMAT_INFO_DEPTH(info, c) != 8) return std::nullopt;
  auto at = [&](int c, int x, int y) -> int {
    const auto* data = static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_COMP_DATA(frame, c));
    const int sx = x >> GST_VIDEO_FORMAT_INFO_W_SUB(info, c);
    const int sy = y >> GST_VIDEO_FORMAT_INFO_H_SUB(info, c);
    return data[static_cast<std::ptrdiff_t>(sy) * GST_VIDEO_FRAME_COMP_STRIDE(frame, c) +
                static_cast<std::ptrdiff_t>(sx) * GST_VIDEO_FRAME_COMP_PSTRIDE(frame, c)];
  };
  if (GST_VIDEO_FORMAT_INFO_IS_YUV(info))
    return decodeSamples(width, height, [&](int x, int y) { return at(GST_VIDEO_COMP_Y, x, y); });
  if (GST_VIDEO_FORMAT_INFO_IS_RGB(info))
    return decodeSamples(width, height, [&](int x, int y) {
      return (at(GST_VIDEO_COMP_R, x, y) + 2 * at(GST_VIDEO_COMP_G, x, y) +
              at(GST_VIDEO_COMP_B, x, y)) /
             4;
    });
  return std::nullopt;
}

namespace {

GstPadProbeReturn onFrame(GstPad* pad, GstPadProbeInfo* probe, gpointer) {
  // The time the frame leaves the source: a live videotestsrc pushes each frame when the
  // clock reaches it.
  const std::uint32_t value = valueAt(nowUnixMs());
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(probe);
  if (!buffer) return GST_PAD_PROBE_OK;
  GstMiniPtr<GstCaps> caps(gst_pad_get_current_caps(pad));
  GstVideoInfo info;
  if (!caps || !gst_video_info_from_caps(&info, caps.get())) return GST_PAD_PROBE_OK;
  buffer = gst_buffer_make_writable(buffer);
  GST_PAD_PROBE_INFO_DATA(probe) = buffer;
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &info, buffer, GST_MAP_WRITE)) return GST_PAD_PROBE_OK;
  draw(&frame, value);
  gst_video_frame_unmap(&frame);
  return GST_PAD_PROBE_OK;
}

}  // namespace

void burnInto(GstPad* pad) {
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, onFrame, nullptr, nullptr);
}

}  // namespace ceremony::media::clockstrip
