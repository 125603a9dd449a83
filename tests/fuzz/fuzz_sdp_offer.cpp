// Any body a point's browser (or anyone with its token) POSTs to /whep/<point>: the bridge's
// offer reading must never throw or crash, and what it chooses must be in the offer.
//
// Input: the SDP offer as sent (CRLF or LF lines, any bytes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pipelines/bridge/BridgeOffer.h"

namespace {

// Every choice names payload types 0..127 and m-lines that exist, or comes with a sentence.
void check(const std::string& sdp, const char* profile) {
  std::string error;
  const auto choice = ceremony::media::chooseFromOffer(sdp, profile, &error);
  if (!choice) {
    if (error.empty()) std::abort();
    return;
  }
  if (choice->videoPt < 0 || choice->videoPt > 127) std::abort();
  if (choice->audioPt < -1 || choice->audioPt > 127) std::abort();
  // An m-line index counts "m=" lines, so it is below their number.
  std::size_t mLines = sdp.rfind("m=", 0) == 0 ? 1 : 0;
  for (std::size_t at = sdp.find("\nm="); at != std::string::npos; at = sdp.find("\nm=", at + 1))
    ++mLines;
  if (choice->videoIndex >= mLines) std::abort();
  if (choice->audioPt >= 0 && choice->audioIndex >= mLines) std::abort();
  if (choice->audioPt >= 0 && choice->audioIndex == choice->videoIndex) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string sdp(reinterpret_cast<const char*>(data), size);
  check(sdp, "main");
  check(sdp, "high");
  return 0;
}
