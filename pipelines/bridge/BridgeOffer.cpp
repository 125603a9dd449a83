#include "pipelines/bridge/BridgeOffer.h"

#include <cctype>
#include <map>
#include <sstream>
#include <string_view>
#include <vector>

namespace ceremony::media {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The profile_idc byte of an H.264 profile name, as profile-level-id spells it.
std::string profileIdc(const std::string& profile) {
  if (profile == "high") return "64";
  if (profile == "baseline") return "42";
  return "4d";  // main
}

}  // namespace

std::optional<OfferChoice> chooseFromOffer(const std::string& sdp, const std::string& profile,
                                           std::string* error) {
  struct Media {
    std::string kind;
    std::map<int, std::string> rtpmap;  // pt → "h264/90000"
    std::map<int, std::string> fmtp;    // pt → parameters, lower case
  };
  std::vector<Media> media;
  std::istringstream in(sdp);
  std::string line;
  bool sawVersion = false;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    if (++lines > 5000) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("v=", 0) == 0) sawVersion = true;
    if (line.rfind("m=", 0) == 0) {
      Media m;
      m.kind = line.substr(2, line.find(' ') == std::string::npos ? 0 : line.find(' ') - 2);
      media.push_back(std::move(m));
      continue;
    }
    if (media.empty()) continue;
    auto attribute = [&](const char* prefix, std::map<int, std::string>& into) {
      if (line.rfind(prefix, 0) != 0) return;
      const std::string rest = line.substr(std::string(prefix).size());
      const auto space = rest.find(' ');
      if (space == std::string::npos || space == 0 || space > 3) return;
      int pt = 0;
      for (std::size_t i = 0; i < space; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(rest[i]))) return;
        pt = pt * 10 + (rest[i] - '0');
      }
      if (pt > 127) return;
      into[pt] = lower(rest.substr(space + 1));
    };
    attribute("a=rtpmap:", media.back().rtpmap);
    attribute("a=fmtp:", media.back().fmtp);
  }
  if (!sawVersion || media.empty()) {
    *error = "the body is not an SDP offer (Content-Type: application/sdp, starting with v=0)";
    return std::nullopt;
  }
  OfferChoice choice;
  const std::string want = "profile-level-id=" + profileIdc(profile);
  for (std::size_t i = 0; i < media.size(); ++i) {
    const Media& m = media[i];
    if (m.kind == "video" && choice.videoPt < 0) {
      // Best first: the programme's own profile; then high (a high decoder decodes main);
      // then any other H.264 of packetization-mode 1 (Firefox offers only constrained
      // baseline, yet its decoder plays main, as browsers' decoders do).
      int rank = 0;
      for (const auto& [pt, codec] : m.rtpmap) {
        if (codec.rfind("h264/90000", 0) != 0) continue;
        const auto f = m.fmtp.find(pt);
        const std::string params = f == m.fmtp.end() ? "" : f->second;
        if (params.find("packetization-mode=1") == std::string::npos) continue;
        auto has = [&](const char* p) { return params.find(p) != std::string::npos; };
        const int r = has(want.c_str())                                          ? 6
                      : profile == "main" && has("profile-level-id=64")          ? 5
                      : has("profile-level-id=4d") || has("profile-level-id=64") ? 4
                      : has("profile-level-id=42e0")                             ? 3
                      : has("profile-level-id=42")                               ? 2
                                                                                 : 1;
        if (r > rank) {
          rank = r;
          choice.videoPt = pt;
          choice.videoIndex = i;
        }
      }
    } else if (m.kind == "audio" && choice.audioPt < 0) {
      for (const auto& [pt, codec] : m.rtpmap)
        if (codec.rfind("opus/48000", 0) == 0) {
          choice.audioPt = pt;
          choice.audioIndex = i;
          break;
        }
    }
  }
  if (choice.videoPt < 0) {
    *error =
        "the offer has no H.264 video with packetization-mode=1, which the bridge sends; "
        "Chrome, Edge, Firefox and Safari offer it";
    return std::nullopt;
  }
  return choice;
}

std::string keepCandidatesOn(const std::string& sdp, const std::string& address) {
  if (address.empty()) return sdp;
  std::string out;
  out.reserve(sdp.size());
  std::size_t at = 0;
  while (at < sdp.size()) {
    std::size_t end = sdp.find('\n', at);
    end = end == std::string::npos ? sdp.size() : end + 1;
    const std::string_view line(sdp.data() + at, end - at);
    bool keep = true;
    if (line.rfind("a=candidate:", 0) == 0) {
      // a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ …
      std::size_t field = 0, pos = 0;
      std::string_view value;
      while (field <= 4 && pos < line.size()) {
        const std::size_t next = line.find(' ', pos);
        value =
            line.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        ++field;
        if (next == std::string_view::npos) break;
        pos = next + 1;
      }
      keep = field == 5 && value == address;
    }
    if (keep) out.append(line);
    at = end;
  }
  return out;
}

std::string withVideoBitrate(const std::string& sdp, int kbps) {
  std::string out;
  out.reserve(sdp.size() + 16);
  bool inVideo = false, added = false;
  std::size_t at = 0;
  while (at < sdp.size()) {
    std::size_t end = sdp.find('\n', at);
    end = end == std::string::npos ? sdp.size() : end + 1;
    const std::string_view line(sdp.data() + at, end - at);
    at = end;
    if (line.rfind("m=", 0) == 0) {
      inVideo = line.rfind("m=video", 0) == 0;
      added = false;
    }
    if (inVideo && line.rfind("b=AS:", 0) == 0) continue;  // ours replaces it
    out.append(line);
    if (inVideo && !added && line.rfind("c=", 0) == 0) {
      out += "b=AS:" + std::to_string(kbps) + "\r\n";
      added = true;
    }
  }
  return out;
}

}  // namespace ceremony::media
