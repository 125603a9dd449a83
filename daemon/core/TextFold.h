#pragma once
// Vietnamese text folded for search: lower case, every diacritic gone (the tone marks and
// the shape marks of ă â ê ô ơ ư, precomposed (NFC) or as combining marks (NFD)), đ → d,
// runs of whitespace one space, none at either end. "Xã Nghĩa Hành", "XÃ NGHĨA HÀNH" and
// "xa nghia hanh" all fold to "xa nghia hanh"; ASCII (ids) only loses its capitals.

#include <string>
#include <string_view>
#include <vector>

namespace ceremony {

std::string foldText(std::string_view text);

// The folded text's words ("  Nghĩa  Hành " → {"nghia", "hanh"}).
std::vector<std::string> foldedWords(std::string_view text);

}  // namespace ceremony
