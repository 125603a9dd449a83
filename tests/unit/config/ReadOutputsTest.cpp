// [outputs.<id>]: recordings, and RTMP outputs with their stream keys.
#include <gtest/gtest.h>

#include "ConfigTestSupport.h"
#include "config/ConfigParser.h"

namespace ceremony {
namespace {

using namespace config_test;
using namespace std::chrono;

TEST_F(ConfigParser, RecordingSegmentLength) {
  const std::string rec = "[outputs.rec2]\nkind = \"record\"\ndirectory = \"rec2\"\n";
  LoadResult bad = parse(withBase(rec + "segment = \"5s\"\n") + kOneItem);
  EXPECT_DIAGNOSTIC(bad, "segment \"5s\" is too short", Severity::Error, kBaseLines + 4, 11);
  LoadResult ok = parse(withBase(rec + "segment = \"15m\"\n") + kOneItem);
  ASSERT_TRUE(ok.config) << dump(ok);
  EXPECT_EQ(ok.config->outputs.at(1).segment, Millis{15 * 60 * 1000});
  EXPECT_EQ(ok.config->outputs.at(0).segment, Millis{10 * 60 * 1000});  // the default
}

TEST_F(ConfigParser, NoOutputsIsAWarning) {
  std::string text = withBase(kOneItem);
  text.replace(text.find("[outputs.rec]"),
               std::string("[outputs.rec]\nkind = \"record\"\n"
                           "directory = \"rec\"\n")
                   .size(),
               "\n\n\n");
  LoadResult r = parse(text);
  const Diagnostic* d = find(r, "there are no [outputs]");
  ASSERT_TRUE(d) << dump(r);
  EXPECT_EQ(d->severity, Severity::Warning);
  EXPECT_TRUE(r.config);
}

// ---------------------------------------------------------------------------------------
// Stream keys

const char* kKey = "FB-1234567890123456-0-AbCdEfGhIjKlMnOp";

TEST_F(ConfigParser, KeyInTheUrlIsAnErrorThatDoesNotRepeatTheKey) {
  dir_.write("fb.key", kKey);
  LoadResult r =
      parse(withBase(kOneItem) + "[outputs.fb]\nkind = \"rtmp\"\nurl = \"" +
            "rtmps://live-api-s.facebook.com:443/rtmp/" + kKey + "\"\nkey_file = \"fb.key\"\n");
  EXPECT_DIAGNOSTIC(r, "put the stream key in key_file or key_credential, not in the config",
                    Severity::Error, kBaseLines + 8, 7);
  EXPECT_EQ(dump(r).find(kKey), std::string::npos) << dump(r);
  EXPECT_NE(dump(r).find("rtmp/***"), std::string::npos) << dump(r);
}

TEST_F(ConfigParser, KeyAsAQueryStringIsAnError) {
  LoadResult r = parse(withBase(kOneItem) +
                       "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://ingest.example:443/live/"
                       "?key=abc\"\nkey_credential = \"fb\"\n");
  EXPECT_DIAGNOSTIC(r, "seems to contain a stream key (a query string", Severity::Error,
                    kBaseLines + 8, 7);
}

TEST_F(ConfigParser, NoStreamKey) {
  LoadResult r = parse(
      withBase(kOneItem) +
      "[outputs.facebook]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:443/rtmp/\"\n");
  EXPECT_DIAGNOSTIC(r, "[outputs.facebook] has no stream key", Severity::Error, kBaseLines + 6, 1);
}

TEST_F(ConfigParser, MissingKeyFile) {
  LoadResult r = parse(withBase(kOneItem) +
                       "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:"
                       "443/rtmp/\"\nkey_file = \"keys/fb.key\"\n");
  EXPECT_DIAGNOSTIC(r, "the key file " + (dir_.path() / "keys/fb.key").string() + " does not exist",
                    Severity::Error, kBaseLines + 9, 12);
}

TEST_F(ConfigParser, ReadableKeyFileIsAccepted) {
  fs::path key = dir_.write("keys/fb.key", std::string(kKey) + "\n");
  const std::string text = withBase(kOneItem) +
                           "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:"
                           "443/rtmp/\"\nkey_file = \"keys/fb.key\"\n";
  LoadResult r = parse(text);
  ASSERT_TRUE(r.config) << dump(r);
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  EXPECT_EQ(fs::path(r.config->findOutput("fb")->keyFile), key);

  // A key others can read is still usable, but the team is told.
  fs::permissions(key, fs::perms::others_read, fs::perm_options::add);
  LoadResult loose = parse(text);
  EXPECT_DIAGNOSTIC(loose, "can be read by other users", Severity::Warning, kBaseLines + 9, 12);
  EXPECT_TRUE(loose.config);
}

TEST_F(ConfigParser, CredentialOutsideSystemdIsAWarning) {
  EnvVar env("CREDENTIALS_DIRECTORY", nullptr);
  LoadResult r = parse(withBase(kOneItem) +
                       "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:"
                       "443/rtmp/\"\nkey_credential = \"facebook-key\"\n");
  EXPECT_DIAGNOSTIC(r, "the systemd credential \"facebook-key\" cannot be checked now",
                    Severity::Warning, kBaseLines + 9, 18);
  EXPECT_TRUE(r.config);
  EXPECT_EQ(r.config->findOutput("fb")->keyCredential, "facebook-key");
}

TEST_F(ConfigParser, CredentialIsLookedUpInCredentialsDirectory) {
  TempDir creds;
  creds.write("facebook-key", kKey);
  EnvVar env("CREDENTIALS_DIRECTORY", creds.path().c_str());
  const std::string output =
      "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:443/rtmp/\"\n";
  LoadResult r = parse(withBase(kOneItem) + output + "key_credential = \"facebook-key\"\n");
  EXPECT_TRUE(r.diagnostics.all().empty()) << dump(r);
  EXPECT_TRUE(r.config);

  LoadResult missing = parse(withBase(kOneItem) + output + "key_credential = \"youtube-key\"\n");
  EXPECT_DIAGNOSTIC(missing, "the systemd credential 'youtube-key' does not exist", Severity::Error,
                    kBaseLines + 9, 18);
}

TEST_F(ConfigParser, KeylessOutputOnlyForLocalServers) {
  LoadResult local = parse(withBase(kOneItem) +
                           "[outputs.rehearsal]\nkind = \"rtmp\"\nurl = \"rtmps://127.0.0.1:1936/"
                           "live/\"\nkey_required = false\ntls_validation = false\n");
  ASSERT_TRUE(local.config) << dump(local);
  const OutputConfig* o = local.config->findOutput("rehearsal");
  EXPECT_FALSE(o->keyRequired);
  EXPECT_FALSE(o->tlsValidation);
  EXPECT_NE(find(local, "tls_validation = false"), nullptr);

  LoadResult remote =
      parse(withBase(kOneItem) +
            "[outputs.fb]\nkind = \"rtmp\"\nurl = \"rtmps://live-api-s.facebook.com:443/rtmp/\"\n"
            "key_required = false\n");
  EXPECT_DIAGNOSTIC(remote, "key_required = false is only for local test servers", Severity::Error,
                    kBaseLines + 9, 16);
}

}  // namespace
}  // namespace ceremony
