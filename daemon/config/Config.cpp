#include "config/Config.h"

#include <algorithm>

namespace ceremony {

namespace {
template <typename T>
const T* findById(const std::vector<T>& v, const std::string& id) {
  auto it = std::find_if(v.begin(), v.end(), [&](const T& x) { return x.id == id; });
  return it == v.end() ? nullptr : &*it;
}
}  // namespace

const SourceConfig* Config::findSource(const std::string& id) const {
  return findById(sources, id);
}
const SceneConfig* Config::findScene(const std::string& id) const {
  return findById(scenes, id);
}
const OutputConfig* Config::findOutput(const std::string& id) const {
  return findById(outputs, id);
}

}  // namespace ceremony
