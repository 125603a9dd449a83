// One percent-encoding for the config's URIs, the API's targets and the secret scrubber.
#include "config/PercentEncoding.h"

#include <gtest/gtest.h>

namespace ceremony {
namespace {

TEST(PercentEncoding, StrictDecodingRefusesAnEscapeThatIsNotOne) {
  EXPECT_EQ(percentDecodeStrict("diem-cau%2Fnghia%20hanh"), "diem-cau/nghia hanh");
  EXPECT_EQ(percentDecodeStrict("%c3%A1"), "\xc3\xa1");  // either case of hex digit
  EXPECT_EQ(percentDecodeStrict("a+b"), "a+b");
  EXPECT_EQ(percentDecodeStrict("a+b", true), "a b");
  EXPECT_EQ(percentDecodeStrict("%41"), "A") << "an escape that ends the text";
  EXPECT_EQ(percentDecodeStrict(""), "");
  for (const char* bad : {"%", "%4", "abc%", "%G1", "%1G", "x%zz"})
    EXPECT_FALSE(percentDecodeStrict(bad).has_value()) << bad;
}

TEST(PercentEncoding, LenientDecodingKeepsWhatIsNotAnEscape) {
  EXPECT_EQ(percentDecodeLenient("p%40ss%3Aword"), "p@ss:word");
  EXPECT_EQ(percentDecodeLenient("100%"), "100%");
  EXPECT_EQ(percentDecodeLenient("%zz%41"), "%zzA");
  EXPECT_EQ(percentDecodeLenient("a+b"), "a+b");
}

TEST(PercentEncoding, EncodingLeavesOnlyUnreservedBytesAndThoseAsked) {
  EXPECT_EQ(percentEncode("Az09-_.~"), "Az09-_.~");
  EXPECT_EQ(percentEncode("p@ss word/"), "p%40ss%20word%2F");
  EXPECT_EQ(percentEncode("/srv/phim tư liệu.mp4", "/"), "/srv/phim%20t%C6%B0%20li%E1%BB%87u.mp4");
  for (const char* s : {"", "p@ss:w/rd?&=", "Lễ phát động", "\x01\xff"})
    EXPECT_EQ(percentDecodeStrict(percentEncode(s)), s) << "round trip of " << s;
}

}  // namespace
}  // namespace ceremony
