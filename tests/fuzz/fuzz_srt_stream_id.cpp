// Any stream id an SRT caller sends to the bridge's publish port (before any passphrase is
// checked: anyone on the network): reading it must never throw or crash, and a point it
// admits must be named in it with m=publish.
//
// Input: the stream id as sent (any bytes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pipelines/bridge/SrtPublish.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string id(reinterpret_cast<const char*>(data), size);
  using namespace ceremony::media;
  const auto parsed = parseSrtStreamId(id);
  if (parsed && (id.size() > 512 || id.rfind("#!::", 0) != 0)) std::abort();
  if (parsed && (parsed->resource.size() > id.size() || parsed->mode.size() > id.size()))
    std::abort();
  const SrtPublishDecision d = decideSrtPublish(id);
  if (d.pointId.empty() == (d.rejectCode == 0)) std::abort();  // one or the other
  if (d.pointId.empty() && d.why.empty()) std::abort();
  if (!d.pointId.empty()) {
    if (!parsed || parsed->mode != "publish" || parsed->resource != d.pointId) std::abort();
    if (id.find("r=" + d.pointId) == std::string::npos) std::abort();
  }
  return 0;
}
