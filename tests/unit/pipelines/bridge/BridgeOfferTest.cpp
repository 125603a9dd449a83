// What the video bridge takes from a WHEP offer: the H.264 and Opus payload types the viewer's
// browser asked for, and a sentence when the offer cannot be served. Pure text work.
#include <gtest/gtest.h>

#include "pipelines/bridge/BridgeOffer.h"

namespace ceremony::media {
namespace {

// Lines joined with CRLF, as browsers send SDP.
std::string crlf(std::initializer_list<const char*> lines) {
  std::string out;
  for (const char* l : lines) out += std::string(l) + "\r\n";
  return out;
}

// A recvonly offer as Chrome 120 makes it for a WHEP player that added a video and then an
// audio transceiver: every codec Chrome has, in its own order, with CRLF line ends.
const std::string kChrome = crlf({
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 102 103 104 105 106 107 108 109 116 117 39 40 "
    "41 42 45 46 118 119 120",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:1lHf",
    "a=ice-pwd:xbCnGq0D1hQH0bGUSVYWuN5c",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 9A:2E:7C:54:11:0B:9F:2D:31:6E:8C:44:AB:0F:12:63:77:DE:90:54:C1:"
    "3B:AA:08:6D:21:F4:3E:5C:99:B0:17",
    "a=setup:actpass",
    "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:toffset",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "a=extmap:3 urn:3gpp:video-orientation",
    "a=recvonly",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtcp-fb:96 transport-cc",
    "a=rtcp-fb:96 ccm fir",
    "a=rtcp-fb:96 nack",
    "a=rtcp-fb:96 nack pli",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rtpmap:98 VP9/90000",
    "a=rtcp-fb:98 nack pli",
    "a=fmtp:98 profile-id=0",
    "a=rtpmap:99 rtx/90000",
    "a=fmtp:99 apt=98",
    "a=rtpmap:102 H264/90000",
    "a=rtcp-fb:102 nack pli",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
    "a=rtpmap:103 rtx/90000",
    "a=fmtp:103 apt=102",
    "a=rtpmap:104 H264/90000",
    "a=rtcp-fb:104 nack pli",
    "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f",
    "a=rtpmap:105 rtx/90000",
    "a=fmtp:105 apt=104",
    "a=rtpmap:106 H264/90000",
    "a=rtcp-fb:106 nack pli",
    "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f",
    "a=rtpmap:107 rtx/90000",
    "a=fmtp:107 apt=106",
    "a=rtpmap:108 H264/90000",
    "a=rtcp-fb:108 nack pli",
    "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    "a=rtpmap:109 rtx/90000",
    "a=fmtp:109 apt=108",
    "a=rtpmap:116 H264/90000",
    "a=rtcp-fb:116 goog-remb",
    "a=rtcp-fb:116 transport-cc",
    "a=rtcp-fb:116 ccm fir",
    "a=rtcp-fb:116 nack",
    "a=rtcp-fb:116 nack pli",
    "a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f",
    "a=rtpmap:117 rtx/90000",
    "a=fmtp:117 apt=116",
    "a=rtpmap:39 H264/90000",
    "a=rtcp-fb:39 nack pli",
    "a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f",
    "a=rtpmap:40 rtx/90000",
    "a=fmtp:40 apt=39",
    "a=rtpmap:41 H264/90000",
    "a=rtcp-fb:41 nack pli",
    "a=fmtp:41 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=f4001f",
    "a=rtpmap:42 rtx/90000",
    "a=fmtp:42 apt=41",
    "a=rtpmap:45 AV1/90000",
    "a=rtcp-fb:45 nack pli",
    "a=fmtp:45 level-idx=5;profile=0;tier=0",
    "a=rtpmap:46 rtx/90000",
    "a=fmtp:46 apt=45",
    "a=rtpmap:118 red/90000",
    "a=rtpmap:119 rtx/90000",
    "a=fmtp:119 apt=118",
    "a=rtpmap:120 ulpfec/90000",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:1lHf",
    "a=ice-pwd:xbCnGq0D1hQH0bGUSVYWuN5c",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 9A:2E:7C:54:11:0B:9F:2D:31:6E:8C:44:AB:0F:12:63:77:DE:90:54:C1:"
    "3B:AA:08:6D:21:F4:3E:5C:99:B0:17",
    "a=setup:actpass",
    "a=mid:1",
    "a=extmap:14 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=recvonly",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:63 red/48000/2",
    "a=fmtp:63 111/111",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:13 CN/8000",
    "a=rtpmap:110 telephone-event/48000",
    "a=rtpmap:126 telephone-event/8000",
});

// Laid out as Firefox lays out its offers (its own payload numbers, fmtp lines before the
// rtpmap lines, upper-case profile-level-id hex, Opus as 109), with a main-profile H.264
// entry (105) next to its usual constrained-baseline ones (126, 97).
const std::string kFirefoxLike = crlf({
    "v=0",
    "o=mozilla...THIS_IS_SDPARTA-99.0 7061237481234509873 0 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=fingerprint:sha-256 1F:0C:66:3A:90:C4:2B:7E:51:AD:19:E3:04:6F:88:BB:27:D0:4C:91:"
    "3E:5A:A2:07:F8:6B:C9:12:40:DE:73:05",
    "a=group:BUNDLE 0 1",
    "a=ice-options:trickle",
    "a=msid-semantic:WMS *",
    "m=video 9 UDP/TLS/RTP/SAVPF 120 124 121 125 126 127 97 98 105 106",
    "c=IN IP4 0.0.0.0",
    "a=recvonly",
    "a=fmtp:126 profile-level-id=42E01F;level-asymmetry-allowed=1;packetization-mode=1",
    "a=fmtp:97 profile-level-id=42E01F;level-asymmetry-allowed=1",
    "a=fmtp:105 profile-level-id=4D001F;level-asymmetry-allowed=1;packetization-mode=1",
    "a=fmtp:106 profile-level-id=4D001F;level-asymmetry-allowed=1",
    "a=fmtp:120 max-fs=12288;max-fr=60",
    "a=fmtp:121 max-fs=12288;max-fr=60",
    "a=mid:0",
    "a=rtcp-mux",
    "a=rtpmap:120 VP8/90000",
    "a=rtpmap:124 rtx/90000",
    "a=rtpmap:121 VP9/90000",
    "a=rtpmap:125 rtx/90000",
    "a=rtpmap:126 H264/90000",
    "a=rtpmap:127 rtx/90000",
    "a=rtpmap:97 H264/90000",
    "a=rtpmap:98 rtx/90000",
    "a=rtpmap:105 H264/90000",
    "a=rtpmap:106 H264/90000",
    "a=setup:actpass",
    "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101",
    "c=IN IP4 0.0.0.0",
    "a=recvonly",
    "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1",
    "a=fmtp:101 0-15",
    "a=mid:1",
    "a=rtcp-mux",
    "a=rtpmap:109 opus/48000/2",
    "a=rtpmap:9 G722/8000/1",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000/1",
    "a=setup:actpass",
});

std::string videoSection(const std::string& codecs) {
  return "m=video 9 UDP/TLS/RTP/SAVPF 100 101\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\n" +
         codecs;
}
const std::string kHeader = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
const std::string kOpus =
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=recvonly\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n";

TEST(BridgeOffer, ChromeGetsItsMainProfilePacketizationModeOneAndOpus) {
  std::string error;
  auto c = chooseFromOffer(kChrome, "main", &error);
  ASSERT_TRUE(c) << error;
  // 116 is main with packetization-mode 1; 39 is main too but mode 0, and 41 is 4:4:4.
  EXPECT_EQ(c->videoPt, 116);
  EXPECT_EQ(c->audioPt, 111);
  EXPECT_EQ(c->videoIndex, 0u);
  EXPECT_EQ(c->audioIndex, 1u);
  EXPECT_TRUE(error.empty()) << error;
}

TEST(BridgeOffer, ChromeWithBaselineProgrammeGetsConstrainedBaselineModeOne) {
  std::string error;
  auto c = chooseFromOffer(kChrome, "baseline", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->videoPt, 102);  // the lowest 42… with packetization-mode=1
  EXPECT_EQ(c->audioPt, 111);
}

TEST(BridgeOffer, WithoutItsProfileTheProgrammeGoesAsTheBestModeOneEntry) {
  // This offer lists no 64…: a high programme still goes (browsers' decoders play high), as
  // the main entry (before baseline, and before High 4:4:4 at 41).
  std::string error;
  auto c = chooseFromOffer(kChrome, "high", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->videoPt, 116);
}

TEST(BridgeOffer, RealFirefoxOfferWithOnlyConstrainedBaselineIsServedForMain) {
  const std::string sdp =
      "v=0\r\no=mozilla 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 120 126 97\r\na=recvonly\r\n"
      "a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1\r\n"
      "a=fmtp:97 profile-level-id=42e01f;level-asymmetry-allowed=1\r\n"
      "a=rtpmap:120 VP8/90000\r\na=rtpmap:126 H264/90000\r\na=rtpmap:97 H264/90000\r\n";
  std::string error;
  auto c = chooseFromOffer(sdp, "main", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->videoPt, 126);
}

TEST(BridgeOffer, FirefoxLikeOfferWithUpperCaseHexAndFmtpFirst) {
  std::string error;
  auto c = chooseFromOffer(kFirefoxLike, "main", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->videoPt, 105);
  EXPECT_EQ(c->audioPt, 109);
  EXPECT_EQ(c->videoIndex, 0u);
  EXPECT_EQ(c->audioIndex, 1u);
}

TEST(BridgeOffer, OnlyPacketizationModeZeroIsRefusedWithASentence) {
  const std::string sdp = kHeader +
                          videoSection(
                              "a=rtpmap:100 H264/90000\r\n"
                              "a=fmtp:100 packetization-mode=0;profile-level-id=4d001f\r\n"
                              "a=rtpmap:101 H264/90000\r\n"
                              "a=fmtp:101 profile-level-id=42e01f\r\n") +
                          kOpus;
  std::string error;
  EXPECT_FALSE(chooseFromOffer(sdp, "main", &error));
  EXPECT_EQ(error,
            "the offer has no H.264 video with packetization-mode=1, which the bridge sends; "
            "Chrome, Edge, Firefox and Safari offer it");
}

TEST(BridgeOffer, HighProfileOnlyOfferDecodesAMainProgramme) {
  const std::string sdp = kHeader +
                          videoSection(
                              "a=rtpmap:100 H264/90000\r\n"
                              "a=fmtp:100 packetization-mode=1;profile-level-id=42e01f\r\n"
                              "a=rtpmap:101 H264/90000\r\n"
                              "a=fmtp:101 packetization-mode=1;profile-level-id=640c1f\r\n") +
                          kOpus;
  std::string error;
  auto c = chooseFromOffer(sdp, "main", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->videoPt, 101);
  // …and a high programme takes it directly.
  c = chooseFromOffer(sdp, "high", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->videoPt, 101);
}

TEST(BridgeOffer, MainIsPreferredOverTheHighFallback) {
  const std::string sdp =
      kHeader + videoSection(
                    "a=rtpmap:100 H264/90000\r\n"
                    "a=fmtp:100 packetization-mode=1;profile-level-id=640c1f\r\n"
                    "a=rtpmap:101 H264/90000\r\n"
                    "a=fmtp:101 packetization-mode=1;profile-level-id=4d001f\r\n");
  std::string error;
  auto c = chooseFromOffer(sdp, "main", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->videoPt, 101);
}

TEST(BridgeOffer, SomethingThatIsNotSdpIsRefused) {
  for (const std::string& body :
       {std::string(), std::string("{\"sdp\": \"v=0\"}"), std::string("hello\r\nworld\r\n"),
        // A version line but no media section at all.
        kHeader}) {
    std::string error;
    EXPECT_FALSE(chooseFromOffer(body, "main", &error)) << body;
    EXPECT_EQ(error,
              "the body is not an SDP offer (Content-Type: application/sdp, starting with v=0)")
        << body;
  }
}

TEST(BridgeOffer, VideoOnlyOfferHasNoAudio) {
  const std::string sdp =
      kHeader + videoSection(
                    "a=rtpmap:100 H264/90000\r\n"
                    "a=fmtp:100 packetization-mode=1;profile-level-id=4d001f\r\n");
  std::string error;
  auto c = chooseFromOffer(sdp, "main", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->videoPt, 100);
  EXPECT_EQ(c->audioPt, -1);
  EXPECT_EQ(c->videoIndex, 0u);
}

TEST(BridgeOffer, AudioWithoutOpusCountsAsNoAudio) {
  const std::string sdp = kHeader +
                          "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=rtpmap:0 PCMU/8000\r\n" +
                          videoSection(
                              "a=rtpmap:100 H264/90000\r\n"
                              "a=fmtp:100 packetization-mode=1;profile-level-id=4d001f\r\n");
  std::string error;
  auto c = chooseFromOffer(sdp, "main", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->audioPt, -1);
  EXPECT_EQ(c->videoIndex, 1u);
}

TEST(BridgeOffer, MLineIndexesFollowTheOfferWhenAudioComesFirst) {
  // An application line before both, then audio, then video (LF only, as some tools send).
  const std::string sdp =
      "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=mid:0\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:1\na=rtpmap:111 opus/48000/2\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 100\na=mid:2\na=rtpmap:100 H264/90000\n"
      "a=fmtp:100 packetization-mode=1;profile-level-id=4d001f\n";
  std::string error;
  auto c = chooseFromOffer(sdp, "main", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->audioIndex, 1u);
  EXPECT_EQ(c->audioPt, 111);
  EXPECT_EQ(c->videoIndex, 2u);
  EXPECT_EQ(c->videoPt, 100);
}

TEST(BridgeOffer, AttributesOfOneSectionDoNotLeakIntoTheNext) {
  // The fmtp with packetization-mode=1 belongs to the audio section's pt 100, not video's.
  const std::string sdp = kHeader +
                          "m=audio 9 UDP/TLS/RTP/SAVPF 100\r\na=mid:0\r\n"
                          "a=fmtp:100 packetization-mode=1;profile-level-id=4d001f\r\n"
                          "m=video 9 UDP/TLS/RTP/SAVPF 100\r\na=mid:1\r\n"
                          "a=rtpmap:100 H264/90000\r\na=fmtp:100 profile-level-id=4d001f\r\n";
  std::string error;
  EXPECT_FALSE(chooseFromOffer(sdp, "main", &error));
  EXPECT_NE(error.find("packetization-mode=1"), std::string::npos) << error;
}

TEST(BridgeOffer, TheAnswerNamesOnlyTheConfiguredAddress) {
  const std::string answer = crlf({
      "v=0",
      "o=- 1 0 IN IP4 0.0.0.0",
      "m=video 9 UDP/TLS/RTP/SAVPF 96",
      "a=candidate:1 1 UDP 2015363327 10.8.0.1 40001 typ host",
      "a=candidate:2 1 UDP 2015363583 203.0.113.10 40001 typ host",
      "a=candidate:3 1 TCP 1015021823 203.0.113.10 9 typ host tcptype active",
      "a=candidate:4 1 UDP 2015363071 172.17.0.1 40001 typ host",
      "a=mid:video0",
  });
  const std::string kept = keepCandidatesOn(answer, "203.0.113.10");
  EXPECT_EQ(kept.find("10.8.0.1"), std::string::npos) << kept;
  EXPECT_EQ(kept.find("172.17.0.1"), std::string::npos) << kept;
  EXPECT_NE(kept.find("a=candidate:2 1 UDP 2015363583 203.0.113.10 40001 typ host\r\n"),
            std::string::npos)
      << kept;
  EXPECT_NE(kept.find("a=candidate:3 "), std::string::npos) << kept;
  EXPECT_NE(kept.find("a=mid:video0\r\n"), std::string::npos) << "other lines stay";
  EXPECT_EQ(keepCandidatesOn(answer, ""), answer) << "no address: every candidate";
  // An address on no candidate leaves none (the bridge then waits, and answers without).
  EXPECT_EQ(keepCandidatesOn(answer, "198.51.100.7").find("a=candidate"), std::string::npos);
  // A truncated candidate line is dropped, not misread.
  EXPECT_EQ(keepCandidatesOn("a=candidate:1 1 UDP\r\n", "UDP").find("candidate"),
            std::string::npos);
}

TEST(BridgeOffer, TheReturnFeedsAnswerCapsTheVideoBitrate) {
  const std::string answer = crlf({
      "v=0",
      "o=- 1 0 IN IP4 0.0.0.0",
      "m=audio 9 UDP/TLS/RTP/SAVPF 111",
      "c=IN IP4 0.0.0.0",
      "a=mid:0",
      "m=video 9 UDP/TLS/RTP/SAVPF 102",
      "c=IN IP4 0.0.0.0",
      "b=AS:5000",
      "a=mid:1",
  });
  const std::string capped = withVideoBitrate(answer, 1500);
  EXPECT_NE(capped.find("m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\nb=AS:1500\r\n"),
            std::string::npos)
      << capped;
  EXPECT_EQ(capped.find("b=AS:5000"), std::string::npos) << "the sender's own wish is replaced";
  EXPECT_EQ(capped.find("b=AS"), capped.rfind("b=AS")) << "once, in the video section only";
  EXPECT_EQ(withVideoBitrate("v=0\r\n", 1500), "v=0\r\n") << "no video: nothing to cap";
}

}  // namespace
}  // namespace ceremony::media
