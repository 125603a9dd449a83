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

const char* outputKindName(OutputKind k) {
  return k == OutputKind::Record ? "record" : "rtmp";
}

std::optional<ListenAddress> parseListenAddress(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view digits = text.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  unsigned port = 0;
  for (char c : digits) port = port * 10 + static_cast<unsigned>(c - '0');
  if (port > 65535) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(port)};
}

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
