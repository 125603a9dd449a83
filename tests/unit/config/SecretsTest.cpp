#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ConfigTestSupport.h"
#include "config/Secrets.h"

namespace ceremony {
namespace {

namespace fs = std::filesystem;

using config_test::EnvVar;
using config_test::TempDir;

const char* kKey = "FB-1234567890123456-0-AbCdEfGhIjKlMnOp";

OutputConfig rtmpOutput() {
  OutputConfig o;
  o.id = "facebook";
  o.url = "rtmps://live-api-s.facebook.com:443/rtmp/";
  return o;
}

TEST(Secrets, KeyFileIsReadAndTrimmed) {
  TempDir dir;
  OutputConfig o = rtmpOutput();
  o.keyFile = dir.write("facebook.key", std::string("  ") + kKey + "\r\n\n").string();
  std::string why;
  EXPECT_EQ(readStreamKey(o, &why), kKey);
}

TEST(Secrets, MissingKeyFileSaysWhichFile) {
  TempDir dir;
  OutputConfig o = rtmpOutput();
  o.keyFile = (dir.path() / "missing.key").string();
  std::string why;
  EXPECT_FALSE(readStreamKey(o, &why));
  EXPECT_NE(why.find(o.keyFile), std::string::npos) << why;
  EXPECT_NE(why.find("does not exist"), std::string::npos) << why;
}

TEST(Secrets, EmptyKeyFileIsRefused) {
  TempDir dir;
  OutputConfig o = rtmpOutput();
  o.keyFile = dir.write("empty.key", " \n").string();
  std::string why;
  EXPECT_FALSE(readStreamKey(o, &why));
  EXPECT_NE(why.find("is empty"), std::string::npos) << why;
}

TEST(Secrets, KeyFileWithTwoLinesIsRefusedWithoutQuotingIt) {
  TempDir dir;
  OutputConfig o = rtmpOutput();
  o.keyFile = dir.write("two.key", std::string(kKey) + "\nsecond-line\n").string();
  std::string why;
  EXPECT_FALSE(readStreamKey(o, &why));
  EXPECT_NE(why.find("more than one"), std::string::npos) << why;
  EXPECT_EQ(why.find(kKey), std::string::npos) << why;
  EXPECT_EQ(why.find("second-line"), std::string::npos) << why;
}

TEST(Secrets, KeyFileThatIsAFolderIsRefused) {
  TempDir dir;
  OutputConfig o = rtmpOutput();
  o.keyFile = dir.path().string();
  std::string why;
  EXPECT_FALSE(readStreamKey(o, &why));
  EXPECT_NE(why.find("folder"), std::string::npos) << why;
}

TEST(Secrets, CredentialComesFromCredentialsDirectory) {
  TempDir dir;
  dir.write("facebook-key", std::string(kKey) + "\n");
  EnvVar env("CREDENTIALS_DIRECTORY", dir.path().c_str());
  OutputConfig o = rtmpOutput();
  o.keyCredential = "facebook-key";
  std::string why;
  EXPECT_EQ(readStreamKey(o, &why), kKey) << why;

  o.keyCredential = "other-key";
  EXPECT_FALSE(readStreamKey(o, &why));
  EXPECT_NE(why.find("'other-key'"), std::string::npos) << why;
}

TEST(Secrets, CredentialWithoutSystemdExplainsWhy) {
  EnvVar env("CREDENTIALS_DIRECTORY", nullptr);
  OutputConfig o = rtmpOutput();
  o.keyCredential = "facebook-key";
  std::string why;
  EXPECT_FALSE(readStreamKey(o, &why));
  EXPECT_NE(why.find("CREDENTIALS_DIRECTORY is not set"), std::string::npos) << why;
}

TEST(Secrets, CredentialNameCannotEscapeTheDirectory) {
  TempDir dir;
  dir.write("secret", kKey);
  fs::create_directories(dir.path() / "creds");
  EnvVar env("CREDENTIALS_DIRECTORY", (dir.path() / "creds").c_str());
  OutputConfig o = rtmpOutput();
  o.keyCredential = "../secret";
  std::string why;
  EXPECT_FALSE(readStreamKey(o, &why));
  EXPECT_NE(why.find("not a valid credential name"), std::string::npos) << why;
}

TEST(Secrets, NoKeyConfigured) {
  std::string why;
  EXPECT_FALSE(readStreamKey(rtmpOutput(), &why));
  EXPECT_NE(why.find("no key_file or key_credential"), std::string::npos) << why;
}

TEST(Secrets, RedactUrlHidesTheStreamKey) {
  EXPECT_EQ(redactUrl(std::string("rtmps://live-api-s.facebook.com:443/rtmp/") + kKey),
            "rtmps://live-api-s.facebook.com:443/rtmp/***");
  EXPECT_EQ(redactUrl(std::string("rtmps://live-api-s.facebook.com:443/rtmp/") + kKey +
                      "?s_bl=1&s_ps=1&a=Abc"),
            "rtmps://live-api-s.facebook.com:443/rtmp/***?***");
  EXPECT_EQ(redactUrl("rtmp://127.0.0.1:1935/live/stream?key=abc"),
            "rtmp://127.0.0.1:1935/live/***?***");
  EXPECT_EQ(redactUrl("RTMP://user:pw@host/live/abc"), "RTMP://***@host/live/***");
}

TEST(Secrets, RedactUrlLeavesKeylessUrlsAlone) {
  EXPECT_EQ(redactUrl("rtmps://live-api-s.facebook.com:443/rtmp/"),
            "rtmps://live-api-s.facebook.com:443/rtmp/");
  EXPECT_EQ(redactUrl("rtmp://a.rtmp.youtube.com/live2"), "rtmp://a.rtmp.youtube.com/live2");
  EXPECT_EQ(redactUrl("srt://0.0.0.0:9000?mode=listener"), "srt://0.0.0.0:9000?mode=listener");
  EXPECT_EQ(redactUrl("not a url"), "***");  // was returned as it was: it may hold a password
  EXPECT_EQ(redactUrl(""), "");
}

TEST(Secrets, RedactUrlHidesPasswordsOfOtherSchemes) {
  EXPECT_EQ(redactUrl("srt://host:9000?mode=caller&passphrase=hunter2hunter2"),
            "srt://host:9000?mode=caller&passphrase=***");
  EXPECT_EQ(redactUrl("rtsp://admin:1234@192.168.1.10/stream1"),
            "rtsp://admin:***@192.168.1.10/stream1");
  EXPECT_EQ(redactUrl("https://example.org/hook?token=abc&x=1"),
            "https://example.org/hook?token=***&x=1");
}

TEST(Secrets, SecretPartOfRtmpUrl) {
  EXPECT_FALSE(secretPartOfRtmpUrl("rtmps://live-api-s.facebook.com:443/rtmp/"));
  EXPECT_FALSE(secretPartOfRtmpUrl("rtmp://a.rtmp.youtube.com/live2"));
  EXPECT_EQ(secretPartOfRtmpUrl("rtmps://live-api-s.facebook.com:443/rtmp/FB-1-2"),
            "a stream name after /rtmp/");
  EXPECT_EQ(secretPartOfRtmpUrl("rtmps://host/rtmp/?key=abc"), "a query string (?…)");
  EXPECT_TRUE(secretPartOfRtmpUrl("rtmp://u:p@host/live"));
  EXPECT_FALSE(secretPartOfRtmpUrl("srt://host:9000?passphrase=x"));  // not an ingest URL
}

// Before: uridecodebin's "Invalid URI rtsp://cam:Mat-Khau-9@…" reached the journal, the
// events and inputs[].last_reason as it was, and redactUrl returned a non-URL unchanged.
TEST(Secrets, RememberedSecretsAreScrubbedFromAnyTextPlainOrPercentEncoded) {
  rememberSecretsOf("rtsp://cam:Mat-Khau 9@10.0.0.5/stream");
  rememberSecretsOf("srt://10.0.0.6:9000?mode=caller&passphrase=cau-truyen-hinh-2025");
  rememberSecretsOf("rtmps://live-api-s.facebook.com:443/rtmp/FB-1234-abcd-key", true);
  rememberSecretsOf("rtmp://10.0.0.7/live/hall-camera-2");  // a source: its name is no key
  rememberSecretsOf("rtsp://cam2:Pass%20Word%2142@10.0.0.8/s");
  rememberSecret("tok");  // too short to scrub: it would eat ordinary words
  EXPECT_EQ(scrubSecrets("Invalid URI \"rtsp://cam:Mat-Khau 9@10.0.0.5/stream\""),
            "Invalid URI \"rtsp://cam:***@10.0.0.5/stream\"");
  EXPECT_EQ(scrubSecrets("uri=rtsp://cam:Mat-Khau%209@10.0.0.5"), "uri=rtsp://cam:***@10.0.0.5");
  EXPECT_EQ(scrubSecrets("srt: passphrase cau-truyen-hinh-2025 rejected"),
            "srt: passphrase *** rejected");
  EXPECT_EQ(scrubSecrets("publish FB-1234-abcd-key failed; again FB-1234-abcd-key"),
            "publish *** failed; again ***");
  EXPECT_EQ(scrubSecrets("auth failed for Pass Word!42"), "auth failed for ***");
  EXPECT_EQ(scrubSecrets("a token here"), "a token here");
  EXPECT_EQ(scrubSecrets("lost hall-camera-2"), "lost hall-camera-2");
  EXPECT_EQ(redactUrl("cam:Mat-Khau 9@10.0.0.5/stream"), "***");
}

}  // namespace
// The API's TLS files: PEM text returned whole (several lines), anything else refused with a
// sentence that does not quote the file.
TEST(Secrets, PemFilesAreReadWholeAndOtherFilesAreRefused) {
  TempDir dir;
  const std::string pem =
      "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n";
  std::string why;
  auto got = readPem(dir.write("k.pem", pem).string(), "", "TLS key", &why);
  ASSERT_TRUE(got) << why;
  EXPECT_EQ(*got, pem);
  EXPECT_FALSE(readPem(dir.write("k.txt", "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n").string(), "",
                       "TLS key", &why));
  EXPECT_NE(why.find("is not PEM"), std::string::npos) << why;
  EXPECT_EQ(why.find("MIGHAg"), std::string::npos) << why;
  EXPECT_FALSE(readPem("/dev/zero", "", "TLS key", &why));
  EXPECT_NE(why.find("not a regular file"), std::string::npos) << why;
  EXPECT_FALSE(readPem(dir.write("big.pem", "-----BEGIN " + std::string(300 * 1024, 'A')).string(),
                       "", "TLS certificate", &why));
  EXPECT_NE(why.find("too large"), std::string::npos) << why;
}

}  // namespace ceremony
