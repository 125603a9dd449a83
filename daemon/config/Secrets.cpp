#include "config/Secrets.h"

#include "config/PercentEncoding.h"
#include "config/Url.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace ceremony {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxKeyBytes = 4096;
// A certificate chain of a few intermediates and its key fit many times over.
constexpr std::size_t kMaxPemBytes = 256 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isRtmp(const UrlParts& p) {
  return p.scheme == "rtmp" || p.scheme == "rtmps";
}

// "/rtmp/KEY/more" -> app "rtmp", rest "KEY/more".
void splitRtmpPath(std::string_view path, std::string_view& app, std::string_view& rest) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  auto slash = path.find('/');
  app = path.substr(0, slash);
  rest = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
}

bool looksSecretParameter(std::string_view name) {
  std::string n = lower(name);
  for (const char* word : {"pass", "key", "token", "secret", "auth", "sig", "streamid", "cred"})
    if (n.find(word) != std::string::npos) return true;
  return false;
}

std::string redactQuery(std::string_view query) {
  std::string out;
  while (true) {
    auto amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    auto eq = param.find('=');
    if (eq != std::string_view::npos && looksSecretParameter(param.substr(0, eq))) {
      out.append(param.substr(0, eq + 1));
      out += "***";
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) break;
    out += '&';
    query.remove_prefix(amp + 1);
  }
  return out;
}

bool isBlank(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// The bytes of a plain file of at most `limit` bytes (a FIFO or a device would block or
// never end: only a regular file, or what a link names).
std::optional<std::string> readRegularFile(const fs::path& file, const std::string& what,
                                           std::size_t limit, const char* tooLarge,
                                           std::string* whyNot) {
  auto fail = [&](std::string sentence) -> std::optional<std::string> {
    if (whyNot) *whyNot = std::move(sentence);
    return std::nullopt;
  };
  std::error_code ec;
  auto st = fs::status(file, ec);
  if (st.type() == fs::file_type::not_found) return fail(what + " does not exist");
  if (st.type() == fs::file_type::directory) return fail(what + " is a folder, not a file");
  if (st.type() != fs::file_type::regular) return fail(what + " is not a regular file");
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) return fail(what + " cannot be read: " + std::strerror(errno));
  std::string bytes(limit + 1, '\0');
  std::size_t n = std::fread(bytes.data(), 1, bytes.size(), f.get());
  if (std::ferror(f.get())) return fail(what + " cannot be read: " + std::strerror(errno));
  if (n > limit) {
    std::fill(bytes.begin(), bytes.end(), '\0');
    return fail(what + " is too large to be " + tooLarge);
  }
  bytes.resize(n);
  return bytes;
}

std::optional<std::string> readKeyFrom(const fs::path& file, const std::string& what,
                                       std::string* whyNot) {
  auto fail = [&](std::string sentence) -> std::optional<std::string> {
    if (whyNot) *whyNot = std::move(sentence);
    return std::nullopt;
  };
  auto read = readRegularFile(file, what, kMaxKeyBytes, "a stream key or token", whyNot);
  if (!read) return std::nullopt;
  std::string& bytes = *read;
  std::size_t b = 0, e = bytes.size();
  while (b < e && isBlank(static_cast<unsigned char>(bytes[b]))) ++b;
  while (e > b && isBlank(static_cast<unsigned char>(bytes[e - 1]))) --e;
  std::string key = bytes.substr(b, e - b);
  std::fill(bytes.begin(), bytes.end(), '\0');
  if (key.empty()) return fail(what + " is empty");
  bool clean = std::none_of(key.begin(), key.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
  if (!clean) {
    std::fill(key.begin(), key.end(), '\0');
    return fail(what + " holds more than one word or line; it must hold only the key or token");
  }
  return key;
}

// Where a named systemd credential is, or nullopt and why not.
std::optional<fs::path> credentialPath(const std::string& name, const std::string& what,
                                       std::string* whyNot) {
  if (name == "." || name == ".." || name.find('/') != std::string::npos) {
    if (whyNot) *whyNot = what + " is not a valid credential name";
    return std::nullopt;
  }
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (dir == nullptr || *dir == '\0') {
    if (whyNot)
      *whyNot = what +
                " is not available: CREDENTIALS_DIRECTORY is not set (systemd sets it when "
                "the service has LoadCredential=" +
                name + ":…)";
    return std::nullopt;
  }
  return fs::path(dir) / name;
}

}  // namespace

std::optional<std::string> readSecret(const std::string& file, const std::string& credential,
                                      const std::string& noun, std::string* whyNot) {
  if (!file.empty()) return readKeyFrom(file, "the " + noun + " file " + file, whyNot);
  if (!credential.empty()) {
    const std::string what = "the systemd credential '" + credential + "'";
    auto path = credentialPath(credential, what, whyNot);
    if (!path) return std::nullopt;
    return readKeyFrom(*path, what, whyNot);
  }
  if (whyNot) *whyNot = "no " + noun + " file or credential is named";
  return std::nullopt;
}

std::optional<std::string> readPem(const std::string& file, const std::string& credential,
                                   const std::string& noun, std::string* whyNot) {
  std::string what;
  fs::path path;
  if (!file.empty()) {
    what = "the " + noun + " file " + file;
    path = file;
  } else if (!credential.empty()) {
    what = "the systemd credential '" + credential + "'";
    auto p = credentialPath(credential, what, whyNot);
    if (!p) return std::nullopt;
    path = *p;
  } else {
    if (whyNot) *whyNot = "no " + noun + " file or credential is named";
    return std::nullopt;
  }
  auto text = readRegularFile(path, what, kMaxPemBytes, "a PEM certificate chain or key", whyNot);
  if (!text) return std::nullopt;
  if (text->find("-----BEGIN ") == std::string::npos) {
    std::fill(text->begin(), text->end(), '\0');
    if (whyNot) *whyNot = what + " is not PEM (no -----BEGIN … line)";
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> readStreamKey(const OutputConfig& output, std::string* whyNot) {
  if (output.keyFile.empty() && output.keyCredential.empty()) {
    if (whyNot) *whyNot = "output '" + output.id + "' has no key_file or key_credential";
    return std::nullopt;
  }
  return readSecret(output.keyFile, output.keyCredential, "key", whyNot);
}

std::string redactUrl(std::string_view url) {
  auto parts = splitUrl(url);
  if (!parts) return url.empty() ? "" : "***";  // not a URL: nothing in it can be told safe
  const UrlParts& p = *parts;
  std::string out(url.substr(0, url.find("://") + 3));
  if (!p.userinfo.empty()) {
    auto colon = p.userinfo.find(':');
    if (isRtmp(p) || colon != std::string_view::npos) {
      out.append(isRtmp(p) ? std::string_view{} : p.userinfo.substr(0, colon + 1));
      out += "***@";
    } else {
      out.append(p.userinfo);
      out += '@';
    }
  }
  out.append(p.host);
  if (isRtmp(p)) {
    std::string_view app, rest;
    splitRtmpPath(p.path, app, rest);
    if (rest.empty()) {
      out.append(p.path);
    } else {
      out += '/';
      out.append(app);
      out += "/***";
    }
    if (p.hasQuery && !p.query.empty()) out += "?***";
    if (p.hasFragment && !p.fragment.empty()) out += "#***";
    return out;
  }
  out.append(p.path);
  if (p.hasQuery) {
    out += '?';
    out += redactQuery(p.query);
  }
  if (p.hasFragment) {
    out += '#';
    out.append(p.fragment);
  }
  return out;
}

std::optional<std::string> secretPartOfRtmpUrl(std::string_view url) {
  auto parts = splitUrl(url);
  if (!parts || !isRtmp(*parts)) return std::nullopt;
  if (!parts->userinfo.empty()) return "a user name or password before the host";
  std::string_view app, rest;
  splitRtmpPath(parts->path, app, rest);
  if (!rest.empty()) return "a stream name after /" + std::string(app) + "/";
  if (parts->hasQuery && !parts->query.empty()) return "a query string (?…)";
  if (parts->hasFragment && !parts->fragment.empty()) return "a fragment (#…)";
  return std::nullopt;
}

std::optional<std::string> secretOfRtmpArgument(std::string_view url) {
  auto parts = splitUrl(url);
  if (!parts || !isRtmp(*parts)) return std::nullopt;
  if (!parts->userinfo.empty()) return "a user name or password before the host";
  if (parts->hasQuery && !parts->query.empty()) return "a query string (?…)";
  if (parts->hasFragment && !parts->fragment.empty()) return "a fragment (#…)";
  std::string_view host = parts->host;
  if (!host.empty() && host.front() == '[') {  // [::1]:1935
    host =
        host.substr(1, host.find(']') == std::string_view::npos ? host.size() : host.find(']') - 1);
  } else if (auto colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  const bool loopback =
      host == "localhost" || host == "::1" || (host.rfind("127.", 0) == 0 && host.size() <= 15);
  std::string_view app, rest;
  splitRtmpPath(parts->path, app, rest);
  if (!rest.empty() && !loopback)
    return "a stream name after /" + std::string(app) + "/ for a server beyond this machine";
  return std::nullopt;
}

// ---- the scrubber ---------------------------------------------------------------------

namespace {

struct Remembered {
  std::shared_mutex mutex;
  std::vector<std::string> secrets;  // longest first, so a longer one is never cut in two
};

Remembered& remembered() {
  static Remembered r;
  return r;
}

void keep(std::string secret) {
  auto& r = remembered();
  std::unique_lock lock(r.mutex);
  if (std::find(r.secrets.begin(), r.secrets.end(), secret) != r.secrets.end()) return;
  r.secrets.push_back(std::move(secret));
  std::stable_sort(r.secrets.begin(), r.secrets.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

}  // namespace

void rememberSecret(std::string_view secret) {
  if (secret.size() < 4) return;
  keep(std::string(secret));
  // Its other spellings: a password written percent-encoded in a URI is printed decoded by
  // some, and a plain one encoded by others.
  if (std::string enc = percentEncode(secret); enc != secret) keep(std::move(enc));
  if (std::string dec = percentDecodeLenient(secret); dec != secret && dec.size() >= 4)
    keep(std::move(dec));
}

void rememberSecretsOf(std::string_view url, bool streamNameIsKey) {
  auto parts = splitUrl(url);
  if (!parts) {
    rememberSecret(url);
    return;
  }
  if (auto colon = parts->userinfo.find(':'); colon != std::string_view::npos)
    rememberSecret(parts->userinfo.substr(colon + 1));
  if (streamNameIsKey && isRtmp(*parts)) {  // the stream name after the application
    std::string_view app, rest;
    splitRtmpPath(parts->path, app, rest);
    if (rest.size() >= 8) rememberSecret(rest);  // a key, not a word like "live" or "hall"
  }
  std::string_view query = parts->query;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    if (auto eq = param.find('='); eq != std::string_view::npos)
      if (looksSecretParameter(param.substr(0, eq))) rememberSecret(param.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

std::string scrubSecrets(std::string_view text) {
  auto& r = remembered();
  std::shared_lock lock(r.mutex);
  std::string out(text);
  for (const auto& secret : r.secrets) {
    for (std::size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3))
      out.replace(at, secret.size(), "***");
  }
  return out;
}

bool sameSecret(std::string_view a, std::string_view b) {
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace ceremony
