// Any request through the control API's routing and JSON body handling: it must answer
// with a status and a JSON error or body, never throw, crash or leak a token.
//
// Input: "METHOD\nTARGET\nAUTHORIZATION\nBODY..." (missing lines are empty).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../unit/api/ApiTestBackend.h"
#include "api/ControlApi.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ceremony::api::HttpRequest r;
  std::string* fields[] = {&r.method, &r.target, &r.authorization};
  for (std::string* f : fields) {
    const auto nl = in.find('\n');
    *f = std::string(in.substr(0, nl));
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  }
  r.body = std::string(in);
  static ceremony::testing::RecordingBackend backend;
  static ceremony::api::ControlApi api(backend, {"viewer-token-fuzz", "operator-token-fuzz"});
  const ceremony::api::HttpResponse res = api.handle(r);
  if (res.status < 200 || res.status > 599) std::abort();
  if (res.body.find("viewer-token-fuzz") != std::string::npos) std::abort();
  if (res.body.find("operator-token-fuzz") != std::string::npos) std::abort();
  // Every refusal says why: in JSON for the API, in a page for a commune's link (/diem-cau/).
  if (res.status >= 400 && res.contentType.rfind("text/html", 0) == 0) {
    if (res.body.find("<p>") == std::string::npos) std::abort();
  } else if (res.status >= 400) {
    auto j = nlohmann::json::parse(res.body, nullptr, false);
    if (!j.is_object() || !j.contains("error")) std::abort();
  }
  backend.calls.clear();
  return 0;
}
