// A packet and caps with one viewer's payload types (the bridge packetises once, as 96 and
// 111, and each browser's offer names its own), and the offer's caps webrtcbin is given.
#include "pipelines/bridge/RtpPayload.h"

#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gtest/gtest.h>

#include <string>

#include "pipelines/GstInit.h"

namespace ceremony::media::bridge {
namespace {

class RtpPayload : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initGStreamer().empty()); }
};

// An RTP packet of payload type `pt` with 4 bytes of payload, stamped at 1 s.
GstMiniPtr<GstBuffer> packet(int pt) {
  GstMiniPtr<GstBuffer> buf(gst_rtp_buffer_new_allocate(4, 0, 0));
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  EXPECT_TRUE(gst_rtp_buffer_map(buf.get(), GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type(&rtp, static_cast<guint8>(pt));
  gst_rtp_buffer_set_seq(&rtp, 4242);
  gst_rtp_buffer_unmap(&rtp);
  GST_BUFFER_PTS(buf.get()) = GST_SECOND;
  GST_BUFFER_DTS(buf.get()) = GST_SECOND;
  return buf;
}

struct Header {
  int pt = -1;
  int seq = -1;
};
Header headerOf(GstBuffer* buf) {
  Header h;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp)) return h;
  h.pt = gst_rtp_buffer_get_payload_type(&rtp);
  h.seq = gst_rtp_buffer_get_seq(&rtp);
  gst_rtp_buffer_unmap(&rtp);
  return h;
}

TEST_F(RtpPayload, AViewerGetsItsOwnPayloadTypeAndTheRunningTimeTheSharedPacketKeepsItsOwn) {
  auto shared = packet(96);
  auto mine = forViewer(shared.get(), 5 * GST_SECOND, 102);
  ASSERT_TRUE(mine);
  EXPECT_NE(mine.get(), shared.get());
  EXPECT_EQ(headerOf(mine.get()).pt, 102);
  EXPECT_EQ(headerOf(mine.get()).seq, 4242);
  EXPECT_EQ(GST_BUFFER_PTS(mine.get()), 5 * GST_SECOND);
  EXPECT_FALSE(GST_CLOCK_TIME_IS_VALID(GST_BUFFER_DTS(mine.get())));
  // The packetiser's own packet, which the next viewer copies too, is untouched.
  EXPECT_EQ(headerOf(shared.get()).pt, 96);
  EXPECT_EQ(GST_BUFFER_PTS(shared.get()), GST_SECOND);
}

// Viewers sharing one memory would cost GStreamer a walk of every holder each time one of
// them is freed: each viewer's packet is a copy of its own, the same bytes in one block.
TEST_F(RtpPayload, EveryViewerHasThePacketInMemoryOfItsOwn) {
  // As rtph264pay makes them: the header in one memory, the payload sharing the encode's.
  auto shared = packet(111);
  GstMiniPtr<GstBuffer> payload(gst_buffer_new_allocate(nullptr, 1000, nullptr));
  gst_buffer_memset(payload.get(), 0, 0x5a, 1000);
  shared.reset(gst_buffer_append(shared.release(), gst_buffer_ref(payload.get())));
  ASSERT_GE(gst_buffer_n_memory(shared.get()), 2u);
  auto mine = forViewer(shared.get(), 2 * GST_SECOND, 111);
  ASSERT_TRUE(mine);
  EXPECT_EQ(headerOf(mine.get()).pt, 111);
  EXPECT_EQ(headerOf(mine.get()).seq, 4242);
  ASSERT_EQ(gst_buffer_n_memory(mine.get()), 1u);
  for (guint i = 0; i < gst_buffer_n_memory(shared.get()); ++i)
    EXPECT_NE(gst_buffer_peek_memory(mine.get(), 0), gst_buffer_peek_memory(shared.get(), i));
  EXPECT_TRUE(gst_memory_is_writable(gst_buffer_peek_memory(mine.get(), 0)));
  EXPECT_EQ(gst_buffer_get_size(mine.get()), gst_buffer_get_size(shared.get()));
  guint8 last = 0;
  gst_buffer_extract(mine.get(), gst_buffer_get_size(mine.get()) - 1, &last, 1);
  EXPECT_EQ(last, 0x5a);
  EXPECT_EQ(GST_BUFFER_PTS(mine.get()), 2 * GST_SECOND);
}

TEST_F(RtpPayload, CapsWithAPayloadAreACopy) {
  GstMiniPtr<GstCaps> caps(gst_caps_from_string("application/x-rtp,media=video,payload=96"));
  auto mine = withPayload(caps.get(), 102);
  int pt = 0;
  ASSERT_TRUE(gst_structure_get_int(gst_caps_get_structure(mine.get(), 0), "payload", &pt));
  EXPECT_EQ(pt, 102);
  ASSERT_TRUE(gst_structure_get_int(gst_caps_get_structure(caps.get(), 0), "payload", &pt));
  EXPECT_EQ(pt, 96);
}

const std::string kOffer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 109\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\n"
    "a=rtpmap:109 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=recvonly\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";

TEST_F(RtpPayload, TheOffersCapsForAnMLineAndPayloadTypeAreRtpCaps) {
  SdpMessagePtr sdp = parseSdp(kOffer);
  ASSERT_TRUE(sdp);
  auto video = offerCaps(sdp.get(), 1, 102);
  ASSERT_TRUE(video);
  const GstStructure* s = gst_caps_get_structure(video.get(), 0);
  EXPECT_STREQ(gst_structure_get_name(s), "application/x-rtp");
  EXPECT_STREQ(gst_structure_get_string(s, "encoding-name"), "H264");
  EXPECT_STREQ(gst_structure_get_string(s, "packetization-mode"), "1");
  int pt = 0;
  ASSERT_TRUE(gst_structure_get_int(s, "payload", &pt));
  EXPECT_EQ(pt, 102);

  auto audio = offerCaps(sdp.get(), 0, 109);
  ASSERT_TRUE(audio);
  EXPECT_STREQ(gst_structure_get_string(gst_caps_get_structure(audio.get(), 0), "encoding-name"),
               "OPUS");
  EXPECT_FALSE(offerCaps(sdp.get(), 2, 102));  // no third m-line
}

}  // namespace
}  // namespace ceremony::media::bridge
