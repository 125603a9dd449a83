// [api]: HTTPS, server names, and what --check warns of before the daemon refuses it.
#include <gtest/gtest.h>

#include <algorithm>

#include "ConfigTestSupport.h"
#include "config/ConfigParser.h"

namespace ceremony {
namespace {

using namespace config_test;
using namespace std::chrono;

// HTTPS: a certificate without its key (or the reverse) is an error at [api]; server_names
// must be host names, each error at its own entry.
TEST_F(ConfigParser, ApiTlsNeedsBothFilesAndServerNamesMustBeHostNames) {
  LoadResult ok =
      parse(withBase(kOneItem) +
            "\n[api]\nlisten = \"0.0.0.0:8443\"\ntls_certificate_file = \"c.pem\"\n"
            "tls_key_file = \"k.pem\"\nserver_names = [\"Dieuhanh.QuangNgai.gov.vn\"]\n");
  ASSERT_TRUE(ok.config) << dump(ok);
  EXPECT_TRUE(ok.config->api.tls());
  EXPECT_NE(ok.config->api.tlsKeyFile.find("k.pem"), std::string::npos);
  ASSERT_EQ(ok.config->api.serverNames.size(), 1u);
  EXPECT_EQ(ok.config->api.serverNames[0], "dieuhanh.quangngai.gov.vn");

  LoadResult half = parse(withBase(kOneItem) + "\n[api]\ntls_certificate_file = \"c.pem\"\n");
  const Diagnostic* d = find(half, "HTTPS needs both");
  ASSERT_TRUE(d) << dump(half);
  EXPECT_EQ(d->severity, Severity::Error);
  EXPECT_FALSE(half.config);

  const std::string text =
      withBase(kOneItem) + "\n[api]\nserver_names = [\"ok.vn\", \"http://x.vn/\", 7]\n";
  LoadResult bad = parse(text);
  const Diagnostic* url = find(bad, "\"http://x.vn/\" is not a host name");
  ASSERT_TRUE(url) << dump(bad);
  const int line = static_cast<int>(std::count(text.begin(), text.end(), '\n'));  // the last line
  EXPECT_EQ(url->line, line);
  EXPECT_EQ(url->column, 26);
  EXPECT_TRUE(find(bad, "7 is not a host name")) << dump(bad);
}

// --check says what the daemon would refuse at start, at listen's line:col.
TEST_F(ConfigParser, ListeningBeyondLoopbackWithoutHttpsOrAViewerTokenIsWarnedOf) {
  const std::string text = withBase(kOneItem) + "\n[api]\nlisten = \"0.0.0.0:8443\"\n";
  LoadResult r = parse(text);
  ASSERT_TRUE(r.config) << dump(r);
  const Diagnostic* tls = find(r, "beyond this machine without HTTPS");
  ASSERT_TRUE(tls) << dump(r);
  EXPECT_EQ(tls->severity, Severity::Warning);
  EXPECT_EQ(tls->line, static_cast<int>(std::count(text.begin(), text.end(), '\n')));
  EXPECT_EQ(tls->column, 10);
  EXPECT_TRUE(find(r, "without a viewer token")) << dump(r);
  LoadResult local = parse(withBase(kOneItem) + "\n[api]\nlisten = \"127.0.0.1:8080\"\n");
  EXPECT_FALSE(find(local, "beyond this machine")) << dump(local);
}

}  // namespace
}  // namespace ceremony
