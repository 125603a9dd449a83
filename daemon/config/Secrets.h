#pragma once
// Stream keys: read from a file or a systemd credential at the last moment, never kept in
// the config text, never printed. redactUrl() is what every log line uses for a URL.

#include <optional>
#include <string>
#include <string_view>

#include "config/Config.h"

namespace ceremony {

// Reads the output's stream key from key_file, or from the systemd credential
// key_credential ($CREDENTIALS_DIRECTORY/<name>); surrounding whitespace and the final
// newline are trimmed. On failure returns nullopt and, if whyNot is given, a plain
// sentence saying why (it never contains the key).
std::optional<std::string> readStreamKey(const OutputConfig& output, std::string* whyNot);

// The shortest token a connection point may have (heartbeats, the bridge page).
inline constexpr std::size_t kMinPointTokenBytes = 16;

// The same for any secret (API tokens): from `file`, else from the systemd credential
// `credential`. `noun` names it in messages ("token").
std::optional<std::string> readSecret(const std::string& file, const std::string& credential,
                                      const std::string& noun, std::string* whyNot);

// A PEM file (the API's TLS certificate chain or private key), from `file`, else from the
// systemd credential `credential`: a regular file of at most 256 KiB with a "-----BEGIN"
// line. The text is returned as it is (OpenSSL reads it); nullopt and why not otherwise.
std::optional<std::string> readPem(const std::string& file, const std::string& credential,
                                   const std::string& noun, std::string* whyNot);

// The URL with its secrets replaced by "***": for rtmp(s) the stream name after the
// application ("rtmps://host:443/rtmp/***") and any query string; for every scheme a
// password in user:password@ and the values of query parameters that look secret.
std::string redactUrl(std::string_view url);

// If an rtmp(s) ingest URL already carries a secret (a stream name after the application,
// a query string, a user name), says which part in a few words ("a stream name after
// /rtmp/"); nullopt when the URL ends at the application as it should.
std::optional<std::string> secretPartOfRtmpUrl(std::string_view url);

// The same for --rtmp's URL, which anyone on the machine reads in `ps`: a stream name is
// allowed only for a server on this machine (a rehearsal's nginx), where it is no key.
std::optional<std::string> secretOfRtmpArgument(std::string_view url);

// Every secret the daemon holds that nobody is meant to read back (stream keys, the API's
// tokens, the webhook's, passwords and passphrases inside source URIs), so that text leaving
// the process — the journal, the events, the API — can be scrubbed of it however it got
// there (a GStreamer error quoting a URI, a library's message). Thread-safe. Secrets shorter
// than 4 bytes are not kept (they would scrub ordinary words).
void rememberSecret(std::string_view secret);
// The password of user:password@ and the values of secret-looking query parameters
// (passphrase=, key=, token=…) of a URL; a URL that does not parse is remembered whole.
// For a destination (`streamNameIsKey`), an rtmp(s) stream name of 8 bytes or more as well.
void rememberSecretsOf(std::string_view url, bool streamNameIsKey = false);
// `text` with every remembered secret, and its percent-encoded form, replaced by "***".
std::string scrubSecrets(std::string_view text);

// Equal strings, in time that depends only on the lengths, not on where they differ: every
// token and passphrase a client sends is compared with this.
bool sameSecret(std::string_view a, std::string_view b);

}  // namespace ceremony
