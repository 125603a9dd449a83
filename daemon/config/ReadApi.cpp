// [api]: the control API and dashboard: where it listens, its tokens, TLS and limits.
#include "config/ConfigTables.h"

#include <algorithm>
#include <cctype>

namespace ceremony::reading {

namespace {

std::string toLowerAscii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

void readApi(Reading& run, const toml::node* n) {
  const toml::table* t = expectTable(run.ctx, n, "[api]", "[api] with listen = \"127.0.0.1:8080\"");
  if (!t) return;
  Fields f(run.ctx, *t, "[api]");
  ApiConfig& a = run.config.api;
  a.pos = f.pos();
  if (auto v = f.text("listen")) {
    if (!parseListenAddress(*v))
      run.ctx.error(positionOf(*t->get("listen")),
                    "[api] listen " + inQuotes(*v) +
                        " must be an address and a port, e.g. \"127.0.0.1:8080\"");
    else
      a.listen = *v;
  }
  auto secret = [&](const char* fileKey, const char* credKey, std::string& file,
                    std::string& cred) {
    if (auto v = f.text(fileKey)) {
      if (v->empty())
        run.ctx.error(positionOf(*t->get(fileKey)), std::string("[api] ") + fileKey + " is empty");
      else
        file = run.ctx.resolve(*v).string();
    }
    if (auto v = f.text(credKey)) {
      if (v->empty() || v->find('/') != std::string::npos || *v == "." || *v == "..")
        run.ctx.error(positionOf(*t->get(credKey)),
                      std::string("[api] ") + credKey + " " + inQuotes(*v) +
                          " is not a credential name (LoadCredential=NAME:… in the unit)");
      else
        cred = *v;
    }
    if (!file.empty() && !cred.empty())
      run.ctx.error(positionOf(*t->get(credKey)), std::string("[api] has both ") + fileKey +
                                                      " and " + credKey + "; give one of them");
  };
  secret("viewer_token_file", "viewer_token_credential", a.viewerTokenFile,
         a.viewerTokenCredential);
  secret("operator_token_file", "operator_token_credential", a.operatorTokenFile,
         a.operatorTokenCredential);
  for (const char* k : {"viewer_token", "operator_token", "token"})
    if (const toml::node* secretHere = f.take(k))
      run.ctx.error(positionOf(*secretHere), std::string("[api] ") + k +
                                                 ": tokens never go in the config text; put each "
                                                 "in a file and name it with viewer_token_file / "
                                                 "operator_token_file (or *_credential)");
  secret("tls_certificate_file", "tls_certificate_credential", a.tlsCertificateFile,
         a.tlsCertificateCredential);
  secret("tls_key_file", "tls_key_credential", a.tlsKeyFile, a.tlsKeyCredential);
  const bool hasKey = !(a.tlsKeyFile.empty() && a.tlsKeyCredential.empty());
  if (a.tls() != hasKey)
    run.ctx.error(f.pos(), std::string("[api] has ") +
                               (hasKey ? "a TLS key but no tls_certificate_file"
                                       : "a TLS certificate but no tls_key_file") +
                               " (or *_credential); HTTPS needs both");
  if (const toml::node* n = f.take("server_names")) {
    const toml::array* names = n->as_array();
    if (!names) {
      f.typeError(*n, "server_names", "a list of host names in quotes");
    } else {
      for (const toml::node& e : *names) {
        const auto* name = e.as_string();
        const bool ok =
            name && !name->get().empty() && name->get().size() <= 253 &&
            std::all_of(name->get().begin(), name->get().end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
            });
        if (!ok)
          run.ctx.error(positionOf(e),
                        "[api] server_names: " + shown(e) +
                            " is not a host name (like \"truyenhinh.quangngai.gov.vn\")");
        else
          a.serverNames.push_back(toLowerAscii(name->get()));
      }
    }
  }
  if (auto v = f.integer("max_connections", 16, 60000)) a.maxConnections = int(*v);
  if (auto v = f.integer("max_connections_per_address", 1, 60000))
    a.maxConnectionsPerAddress = int(*v);
  if (auto v = f.integer("max_streams", 1, 60000)) a.maxStreams = int(*v);
  if (auto v = f.integer("max_streams_per_address", 1, 60000)) a.maxStreamsPerAddress = int(*v);
  f.reportUnread({"listen", "viewer_token_file", "viewer_token_credential", "operator_token_file",
                  "operator_token_credential", "max_connections", "max_connections_per_address",
                  "max_streams", "max_streams_per_address", "tls_certificate_file",
                  "tls_certificate_credential", "tls_key_file", "tls_key_credential",
                  "server_names"});
  // What the daemon will refuse at start, said by --check where it is written (a warning:
  // --insecure and --viewer-token-file on the command line may still make it fine).
  if (const toml::node* listen = t->get("listen"); listen && listen->is_string()) {
    const auto where = parseListenAddress(a.listen);
    const bool loopback = where && (where->host == "::1" || where->host == "localhost" ||
                                    where->host.rfind("127.", 0) == 0);
    if (where && !loopback) {
      if (!a.tls())
        run.ctx.warning(positionOf(*listen),
                        "[api] listen " + inQuotes(a.listen) +
                            " is beyond this machine without HTTPS: the daemon will not start "
                            "unless tls_certificate_file and tls_key_file are given, or "
                            "--insecure is said on its command line");
      if (a.viewerTokenFile.empty() && a.viewerTokenCredential.empty())
        run.ctx.warning(positionOf(*listen),
                        "[api] listen " + inQuotes(a.listen) +
                            " is beyond this machine without a viewer token: the daemon will not "
                            "start unless viewer_token_file (or --viewer-token-file) is given");
    }
  }
}

}  // namespace ceremony::reading
