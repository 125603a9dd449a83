#include "core/TextFold.h"

namespace ceremony {

namespace {

// One code point from UTF-8 at s[i], advancing i; a byte that starts no valid sequence is
// returned as itself (0x80–0xff) and kept as it is.
char32_t next(std::string_view s, std::size_t& i, bool& valid) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  valid = true;
  if (c < 0x80) {
    ++i;
    return c;
  }
  std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    valid = false;
    ++i;
    return c;
  }
  char32_t cp = c & (0xff >> (len + 1));
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) {
      valid = false;
      ++i;
      return c;
    }
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  i += len;
  return cp;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Latin-1 Supplement U+00C0–U+00FF without its marks, lower case ('\0': not a letter, kept).
constexpr const char* kLatin1 =
    "aaaaaa\0ceeeeiiii"    // À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï
    "dnooooo\0ouuuuy\0s"   // Ð Ñ Ò Ó Ô Õ Ö × Ø Ù Ú Û Ü Ý Þ ß
    "aaaaaa\0ceeeeiiii"    // à … ï
    "dnooooo\0ouuuuy\0y";  // ð … ÿ

// The base letter of a Vietnamese (or other Latin) letter with marks, lower case; 0 if the
// code point is not one.
char baseLetter(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return static_cast<char>(cp - 'A' + 'a');
  if (cp >= 0xc0 && cp <= 0xff) return kLatin1[cp - 0xc0];
  switch (cp) {
    case 0x102:  // Ă
    case 0x103:  // ă
      return 'a';
    case 0x110:  // Đ
    case 0x111:  // đ
      return 'd';
    case 0x128:  // Ĩ
    case 0x129:  // ĩ
      return 'i';
    case 0x168:  // Ũ
    case 0x169:  // ũ
      return 'u';
    case 0x1a0:  // Ơ
    case 0x1a1:  // ơ
      return 'o';
    case 0x1af:  // Ư
    case 0x1b0:  // ư
      return 'u';
    default:
      break;
  }
  // Latin Extended Additional, the Vietnamese letters with a tone mark: Ạ ạ … Ỹ ỹ.
  if (cp >= 0x1ea0 && cp <= 0x1eb7) return 'a';
  if (cp >= 0x1eb8 && cp <= 0x1ec7) return 'e';
  if (cp >= 0x1ec8 && cp <= 0x1ecb) return 'i';
  if (cp >= 0x1ecc && cp <= 0x1ee3) return 'o';
  if (cp >= 0x1ee4 && cp <= 0x1ef1) return 'u';
  if (cp >= 0x1ef2 && cp <= 0x1ef9) return 'y';
  return 0;
}

bool isSpace(char32_t cp) {
  return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xa0 || cp == 0x2000 ||
         (cp > 0x2000 && cp <= 0x200a) || cp == 0x202f || cp == 0x3000;
}

}  // namespace

std::string foldText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;  // a space is owed before the next letter
  for (std::size_t i = 0; i < text.size();) {
    bool valid = true;
    const char32_t cp = next(text, i, valid);
    if (!valid) {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += static_cast<char>(cp);
      continue;
    }
    if (cp >= 0x300 && cp <= 0x36f) continue;  // combining marks (NFD): gone
    if (isSpace(cp)) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    if (const char base = baseLetter(cp)) {
      out += base;
      if (cp == 0xdf) out += 's';  // ß → ss
    } else {
      append(out, cp);
    }
  }
  return out;
}

std::vector<std::string> foldedWords(std::string_view text) {
  std::vector<std::string> words;
  const std::string folded = foldText(text);
  std::size_t start = 0;
  while (start < folded.size()) {
    auto end = folded.find(' ', start);
    if (end == std::string::npos) end = folded.size();
    words.push_back(folded.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

}  // namespace ceremony
