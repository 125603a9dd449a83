#pragma once
// Payload types per viewer: the bridge packetises once, with its own payload types (96 for
// H.264, 111 for Opus), and each viewer's offer names its own. These give a packet and caps
// the payload type one viewer asked for. No pipeline: they work on buffers, caps and SDP.

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "pipelines/GstPtr.h"

namespace ceremony::media::bridge {

// A parsed SDP message, freed when it goes (release() hands it to a session description).
struct SdpMessageFree {
  void operator()(GstSDPMessage* m) const {
    if (m) gst_sdp_message_free(m);
  }
};
using SdpMessagePtr = std::unique_ptr<GstSDPMessage, SdpMessageFree>;

// The SDP text parsed, or null when GStreamer cannot read it.
SdpMessagePtr parseSdp(const std::string& text);

// The offer's own caps for `pt` in m-line `index` (application/x-rtp), as webrtcbin wants
// codec preferences; null when the offer has no such m-line or payload type.
GstMiniPtr<GstCaps> offerCaps(const GstSDPMessage* sdp, std::size_t index, int pt);

// A copy of `caps` with payload=`pt`.
GstMiniPtr<GstCaps> withPayload(const GstCaps* caps, int pt);

// The packet with the viewer's payload type, in the programme's running time: a new buffer
// with memory of its own (one block), so that viewers never share a packet's memory.
// With `seq`, the packet gets that sequence number (a viewer's own numbering of its sound).
GstMiniPtr<GstBuffer> forViewer(GstBuffer* shared, GstClockTime runningTime, int pt,
                                std::optional<std::uint16_t> seq = std::nullopt);

}  // namespace ceremony::media::bridge
