// [outputs.<id>]: where the programme goes: RTMP ingests (with their stream keys) and
// recordings.
#include "config/ConfigTables.h"

#include <algorithm>
#include <cstdlib>

#include "config/Secrets.h"

namespace ceremony::reading {

namespace {

const std::vector<KindKeys> kOutputKinds = {
    {"rtmp", {"url", "key_file", "key_credential", "tls_validation", "key_required"}},
    {"record", {"directory", "segment"}}};

bool isLoopbackHost(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return false;
  std::string_view host = url.substr(sep + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  if (host.substr(0, 10) == "localhost:" || host == "localhost") return true;
  if (host.substr(0, 4) == "127.") return true;
  return host.substr(0, 5) == "[::1]";
}

void readRtmp(Reading& run, Fields& f, const toml::table& t, OutputConfig& o) {
  const std::string& where = f.where();
  if (auto v = f.requiredText("url",
                              " (the ingest URL without the key, e.g. "
                              "\"rtmps://live-api-s.facebook.com:443/rtmp/\")")) {
    Position up = positionOf(*t.get("url"));
    std::string scheme = lower(v->substr(0, v->find("://")));
    if (v->find("://") == std::string::npos || (scheme != "rtmp" && scheme != "rtmps")) {
      run.ctx.error(up, where + " url " + inQuotes(redactUrl(*v)) +
                            " must start with rtmps:// (or rtmp:// for a local server)");
    } else if (v->find_first_of("/?#", v->find("://") + 3) == v->find("://") + 3) {
      run.ctx.error(up, where + " url " + inQuotes(redactUrl(*v)) + " has no host");
    }
    if (auto secret = secretPartOfRtmpUrl(*v)) {
      run.ctx.error(up, where + " url " + inQuotes(redactUrl(*v)) + " seems to contain a " +
                            "stream key (" + *secret +
                            "): put the stream key in key_file or key_credential, not in the "
                            "config");
    }
    if (scheme == "rtmp" && v->find("facebook.com") != std::string::npos)
      run.ctx.warning(up, where + " Facebook Live accepts only rtmps:// (port 443), not " +
                              inQuotes(redactUrl(*v)));
    o.url = *v;
  }
  if (auto v = f.boolean("tls_validation")) {
    o.tlsValidation = *v;
    if (!*v)
      run.ctx.warning(positionOf(*t.get("tls_validation")),
                      where +
                          " tls_validation = false: the server's certificate is not checked; "
                          "use this only for rehearsals against a local server");
  }
  if (auto v = f.boolean("key_required")) {
    o.keyRequired = *v;
    if (!*v && !isLoopbackHost(o.url)) {
      run.ctx.error(positionOf(*t.get("key_required")),
                    where +
                        " key_required = false is only for local test servers (127.0.0.1, "
                        "localhost); real ingests need a stream key");
      o.keyRequired = true;
    }
  }
  if (auto v = f.text("key_file")) {
    if (v->empty())
      run.ctx.error(positionOf(*t.get("key_file")), where + " key_file is empty");
    else
      o.keyFile = run.ctx.resolve(*v).string();
  }
  if (auto v = f.text("key_credential")) {
    if (v->empty() || *v == "." || *v == ".." || v->find('/') != std::string::npos)
      run.ctx.error(positionOf(*t.get("key_credential")),
                    where + " key_credential " + inQuotes(*v) +
                        " is not a credential name (a plain name like \"facebook-key\")");
    else
      o.keyCredential = *v;
  }
  if (!o.keyFile.empty() && !o.keyCredential.empty()) {
    run.ctx.error(positionOf(*t.get("key_credential")),
                  where + " has both key_file and key_credential; give one of them");
    return;
  }
  if (!o.keyRequired || !o.enabled) return;
  if (o.keyFile.empty() && o.keyCredential.empty()) {
    if (!t.contains("key_file") && !t.contains("key_credential"))
      run.ctx.error(f.pos(), where + " has no stream key: add key_file = \"/etc/ceremonyd/" + o.id +
                                 ".key\" or key_credential = \"" + o.id + "-key\"");
    return;
  }
  std::string why;
  if (!o.keyFile.empty()) {
    Position kp = positionOf(*t.get("key_file"));
    if (auto key = readStreamKey(o, &why)) {
      std::fill(key->begin(), key->end(), '\0');
      std::error_code ec;
      auto perms = fs::status(o.keyFile, ec).permissions();
      if (!ec && (perms & (fs::perms::group_read | fs::perms::others_read)) != fs::perms::none)
        run.ctx.warning(kp, where + " the key file " + inQuotes(o.keyFile) +
                                " can be read by other users; chmod 600 it");
    } else {
      run.ctx.error(kp, where + " " + why);
    }
    return;
  }
  Position cp = positionOf(*t.get("key_credential"));
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (dir == nullptr || *dir == '\0') {
    run.ctx.warning(cp, where + " the systemd credential " + inQuotes(o.keyCredential) +
                            " cannot be checked now (CREDENTIALS_DIRECTORY is not set); it will "
                            "be found when systemd starts the service with LoadCredential=");
    return;
  }
  if (auto key = readStreamKey(o, &why))
    std::fill(key->begin(), key->end(), '\0');
  else
    run.ctx.error(cp, where + " " + why);
}

}  // namespace

void readOutputs(Reading& run, const toml::node* n) {
  forEachEntry(
      run.ctx, n, "outputs",
      [&](const toml::key& key, const toml::table& t, const std::string& where) {
        Fields f(run.ctx, t, where);
        OutputConfig o;
        o.id = std::string(key.str());
        o.pos = f.pos();
        ++run.declaredOutputs;
        if (auto v = f.text("label")) o.label = *v;
        if (auto v = f.boolean("enabled")) o.enabled = *v;
        auto kind = readKind(run.ctx, f, key, "output", kOutputKinds);
        if (!kind) return;
        if (*kind == "rtmp") {
          o.kind = OutputKind::Rtmp;
          readRtmp(run, f, t, o);
        } else {
          o.kind = OutputKind::Record;
          o.directory = "recordings";
          if (auto v = f.text("directory")) {
            if (v->empty())
              run.ctx.error(positionOf(*t.get("directory")), where + " directory is empty");
            else
              o.directory = *v;
          }
          fs::path dir = run.ctx.resolve(o.directory);
          std::error_code ec;
          auto st = fs::status(dir, ec);
          if (st.type() != fs::file_type::not_found && st.type() != fs::file_type::directory && !ec)
            run.ctx.error(t.get("directory") ? positionOf(*t.get("directory")) : f.pos(),
                          where + " directory " + inQuotes(o.directory) +
                              " exists but is not a folder (looked at " + inQuotes(dir.string()) +
                              ")");
          o.directory = dir.string();
          if (const toml::node* d = f.take("segment"))
            if (auto v = durationOf(run.ctx, *d, f, "segment")) {
              if (*v < Millis{10000})
                run.ctx.error(positionOf(*d), where + " segment " + shown(*d) +
                                                  " is too short; a recording file of at least 10s "
                                                  "(e.g. \"10m\")");
              else
                o.segment = *v;
            }
        }
        f.reportUnread({"kind", "label", "enabled"}, kOutputKinds, *kind);
        run.config.outputs.push_back(std::move(o));
      });
}

}  // namespace ceremony::reading
