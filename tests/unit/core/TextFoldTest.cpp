// Vietnamese folded for search: what an operator types without diacritics finds the point.
#include "core/TextFold.h"

#include <gtest/gtest.h>

namespace ceremony {
namespace {

TEST(TextFold, NamesWithAndWithoutDiacriticsFoldAlike) {
  EXPECT_EQ(foldText("Xã Nghĩa Hành"), "xa nghia hanh");
  EXPECT_EQ(foldText("XÃ NGHĨA HÀNH"), "xa nghia hanh");
  EXPECT_EQ(foldText("xa nghia hanh"), "xa nghia hanh");
  EXPECT_EQ(foldText("Đặc khu Lý Sơn"), "dac khu ly son");
  EXPECT_EQ(foldText("Thành phố Hồ Chí Minh"), "thanh pho ho chi minh");
  EXPECT_EQ(foldText("Đắk Lắk"), "dak lak");
  EXPECT_EQ(foldText("Quảng Ngãi"), "quang ngai");
  EXPECT_EQ(foldText("quang-ngai-001"), "quang-ngai-001");  // ids lose only their capitals
  EXPECT_EQ(foldText("P37"), "p37");
}

TEST(TextFold, EveryVietnameseVowelWithEveryMarkLosesIt) {
  // Each base vowel (upper and lower case) with its shapes and the five tones.
  const struct {
    const char* letters;
    char base;
  } groups[] = {
      {"aàáảãạăằắẳẵặâầấẩẫậAÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'a'},
      {"eèéẻẽẹêềếểễệEÈÉẺẼẸÊỀẾỂỄỆ", 'e'},
      {"iìíỉĩịIÌÍỈĨỊ", 'i'},
      {"oòóỏõọôồốổỗộơờớởỡợOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'o'},
      {"uùúủũụưừứửữựUÙÚỦŨỤƯỪỨỬỮỰ", 'u'},
      {"yỳýỷỹỵYỲÝỶỸỴ", 'y'},
      {"dđDĐ", 'd'},
  };
  for (const auto& g : groups) {
    const std::string folded = foldText(g.letters);
    ASSERT_FALSE(folded.empty());
    EXPECT_EQ(folded.find_first_not_of(g.base), std::string::npos) << g.letters << " → " << folded;
  }
}

TEST(TextFold, DecomposedCombiningMarksFoldLikePrecomposedLetters) {
  // NFD: "Nghĩa Hành" as base letters and combining marks (U+0303 tilde, U+0300 grave).
  EXPECT_EQ(foldText("Ngh\x69\xcc\x83\x61 Ha\xcc\x80nh"), "nghia hanh");
  // ệ as e + circumflex (U+0302) + dot below (U+0323); ự as u + horn (U+031B) + dot below.
  EXPECT_EQ(foldText("Vi\x65\xcc\x82\xcc\xa3t Nam"), "viet nam");
  EXPECT_EQ(foldText("Nh\x75\xcc\x9b\xcc\xa3"), "nhu");
  // Mixed: the first letter precomposed, the second decomposed; a hook above (U+0309).
  EXPECT_EQ(foldText("Qua\xcc\x89ng Ngãi"), "quang ngai");
}

TEST(TextFold, WhitespaceCollapsesAndOtherTextIsKept) {
  EXPECT_EQ(foldText("  Nghĩa \t\n Hành  "), "nghia hanh");
  EXPECT_EQ(foldText("Xã\xc2\xa0"
                     "Ba Tơ"),
            "xa ba to");  // a no-break space
  EXPECT_EQ(foldText(""), "");
  EXPECT_EQ(foldText("   "), "");
  EXPECT_EQ(foldText("0912 345 678"), "0912 345 678");
  EXPECT_EQ(foldText("Ea Kar (điểm 2)"), "ea kar (diem 2)");
  EXPECT_EQ(foldText("日本"), "日本");
  EXPECT_EQ(foldText("bad \xff byte"), "bad \xff byte");  // not UTF-8: kept, not lost
  EXPECT_EQ(foldText("cut \xe1\xba"), "cut \xe1\xba");
}

TEST(TextFold, WordsAreTheFoldedTextSplitAtSpaces) {
  EXPECT_EQ(foldedWords("  Nghĩa  HÀNH "), (std::vector<std::string>{"nghia", "hanh"}));
  EXPECT_TRUE(foldedWords(" \t").empty());
}

}  // namespace
}  // namespace ceremony
