#pragma once
// Run-of-show builders shared by the timeline tests: wall-clock times on the Quảng Ngãi
// ceremony day (28/7/2025, UTC+7) and the seed programme itself.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/Config.h"

namespace ceremony::timeline_test {

using namespace std::chrono_literals;

// 28/7/2025 hh:mm:ss in Vietnam.
inline WallTime vn(int h, int m, int s = 0) {
  using namespace std::chrono;
  return time_point_cast<Millis>(sys_days{year{2025} / July / 28} + hours{h - 7} + minutes{m} +
                                 seconds{s});
}

inline ItemConfig hard(std::string id, WallTime start, std::optional<WallTime> end = {}) {
  ItemConfig c;
  c.title = "Mục " + id;
  c.id = std::move(id);
  c.scene = "scene-" + c.id;
  c.cue = CueMode::At;
  c.start = start;
  c.end = end;
  return c;
}

inline ItemConfig follow(std::string id, std::optional<Millis> duration,
                         std::optional<Millis> offset = {}) {
  ItemConfig c;
  c.title = "Mục " + id;
  c.id = std::move(id);
  c.scene = "scene-" + c.id;
  c.cue = CueMode::After;
  c.duration = duration;
  c.startAfterPrevious = offset;
  return c;
}

inline ItemConfig manual(std::string id, std::optional<Millis> duration = {},
                         std::optional<WallTime> shownStart = {}) {
  ItemConfig c;
  c.title = "Mục " + id;
  c.id = std::move(id);
  c.scene = "scene-" + c.id;
  c.cue = CueMode::Manual;
  c.duration = duration;
  c.start = shownStart;
  return c;
}

// The printed programme of seed 000 (items 2 and 3 overlap, as in the original); the launch
// ritual waits for the operator.
inline std::vector<ItemConfig> quangNgai() {
  std::vector<ItemConfig> items = {
      hard("don-dai-bieu", vn(13, 30), vn(14, 0)),
      hard("gioi-thieu", vn(14, 0), vn(14, 5)),
      hard("chuong-trinh", vn(14, 0), vn(14, 10)),
      hard("phong-su", vn(14, 10), vn(14, 20)),
      hard("chi-dao", vn(14, 20), vn(14, 30)),
      hard("huong-ung-doan", vn(14, 30), vn(14, 40)),
      hard("huong-ung-nghia-hanh", vn(14, 40), vn(14, 50)),
      manual("nghi-thuc", 10min, vn(14, 50)),
      hard("tap-huan-ai", vn(15, 0), vn(16, 0)),
  };
  items[4].title = "Lãnh đạo UBND tỉnh phát biểu chỉ đạo và phát động phong trào";
  return items;
}

}  // namespace ceremony::timeline_test
