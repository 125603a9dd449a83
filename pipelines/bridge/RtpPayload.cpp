#include "pipelines/bridge/RtpPayload.h"

#include <gst/rtp/gstrtpbuffer.h>

namespace ceremony::media::bridge {

SdpMessagePtr parseSdp(const std::string& text) {
  GstSDPMessage* sdp = nullptr;
  const GstSDPResult result = gst_sdp_message_new_from_text(text.c_str(), &sdp);
  SdpMessagePtr owned(sdp);
  if (result != GST_SDP_OK) owned.reset();
  return owned;
}

GstMiniPtr<GstCaps> offerCaps(const GstSDPMessage* sdp, std::size_t index, int pt) {
  if (index >= gst_sdp_message_medias_len(sdp)) return nullptr;
  const GstSDPMedia* media = gst_sdp_message_get_media(sdp, static_cast<guint>(index));
  GstCaps* caps = gst_sdp_media_get_caps_from_media(media, pt);
  if (!caps) return nullptr;
  caps = gst_caps_make_writable(caps);
  for (guint i = 0; i < gst_caps_get_size(caps); ++i)
    gst_structure_set_name(gst_caps_get_structure(caps, i), "application/x-rtp");
  return GstMiniPtr<GstCaps>(caps);
}

GstMiniPtr<GstCaps> withPayload(const GstCaps* caps, int pt) {
  GstCaps* out = gst_caps_copy(caps);
  gst_caps_set_simple(out, "payload", G_TYPE_INT, pt, nullptr);
  return GstMiniPtr<GstCaps>(out);
}

GstMiniPtr<GstBuffer> forViewer(GstBuffer* shared, GstClockTime runningTime, int pt,
                                std::optional<std::uint16_t> seq) {
  // A deep copy: GStreamer keeps a list of every buffer that shares a memory and walks it
  // when one goes, so 96 viewers sharing each packet cost 96 x 96 steps a packet; copying
  // 1,200 bytes costs less, and the viewer's SRTP encoder writes its own copy anyway.
  GstBuffer* buf = gst_buffer_new();
  gst_buffer_copy_into(buf, shared,
                       static_cast<GstBufferCopyFlags>(GST_BUFFER_COPY_ALL | GST_BUFFER_COPY_DEEP |
                                                       GST_BUFFER_COPY_MERGE),
                       0, static_cast<gsize>(-1));
  GST_BUFFER_PTS(buf) = runningTime;
  GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (gst_rtp_buffer_map(buf, GST_MAP_WRITE, &rtp)) {
    if (gst_rtp_buffer_get_payload_type(&rtp) != pt)
      gst_rtp_buffer_set_payload_type(&rtp, static_cast<guint8>(pt));
    if (seq) gst_rtp_buffer_set_seq(&rtp, *seq);
    gst_rtp_buffer_unmap(&rtp);
  }
  return GstMiniPtr<GstBuffer>(buf);
}

}  // namespace ceremony::media::bridge
