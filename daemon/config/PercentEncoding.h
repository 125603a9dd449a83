#pragma once
// Percent-encoding (RFC 3986 §2.1), one implementation for the config's URIs, the API's
// request targets and the secret scrubber.

#include <optional>
#include <string>
#include <string_view>

namespace ceremony {

// "%41" → "A". nullopt when a '%' is not followed by two hex digits (a request target that
// is not valid); with plusIsSpace a '+' is a space (a query string's form encoding).
std::optional<std::string> percentDecodeStrict(std::string_view s, bool plusIsSpace = false);

// The same, but an escape that is not one is kept as written (text from a person: a URI's
// user:password written in the config, a secret that may or may not be encoded).
std::string percentDecodeLenient(std::string_view s);

// Every byte but the unreserved ones (A-Z a-z 0-9 - _ . ~) and those in `alsoPlain`
// written as %XX in capitals.
std::string percentEncode(std::string_view s, std::string_view alsoPlain = "");

}  // namespace ceremony
