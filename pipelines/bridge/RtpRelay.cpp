#include "pipelines/bridge/RtpRelay.h"

namespace ceremony::media {

bool RtpRelay::open(const std::string& host, int port, std::string* error) {
  target_ =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  GObjectPtr<GInetAddress> ip(g_inet_address_new_from_string(host.c_str()));
  if (!ip) {
    GErrorBox err;
    GObjectPtr<GResolver> resolver(g_resolver_get_default());
    GList* found = g_resolver_lookup_by_name(resolver.get(), host.c_str(), nullptr, err.out());
    if (!found) {
      *error = "cannot resolve " + host + (err ? ": " + err.message("") : "");
      return false;
    }
    ip.reset(G_INET_ADDRESS(g_object_ref(found->data)));
    g_resolver_free_addresses(found);
  }
  GErrorBox err;
  socket_.reset(g_socket_new(g_inet_address_get_family(ip.get()), G_SOCKET_TYPE_DATAGRAM,
                             G_SOCKET_PROTOCOL_UDP, err.out()));
  if (!socket_) {
    *error = "cannot open a UDP socket" + (err ? ": " + err.message("") : "");
    return false;
  }
  g_socket_set_blocking(socket_.get(), FALSE);
  address_.reset(g_inet_socket_address_new(ip.get(), static_cast<guint16>(port)));
  return true;
}

void RtpRelay::send(GstBuffer* rtp) {
  if (!socket_ || !rtp) return;
  GstMapInfo map;
  if (!gst_buffer_map(rtp, &map, GST_MAP_READ)) return;
  GErrorBox err;
  const gssize n =
      g_socket_send_to(socket_.get(), address_.get(), reinterpret_cast<const gchar*>(map.data),
                       map.size, nullptr, err.out());
  gst_buffer_unmap(rtp, &map);
  if (n < 0) {
    // Full send buffer, or nobody listening yet (ICMP port unreachable): the packet is lost
    // as a line would lose it; the media server picks up again at the next keyframe.
    ++dropped_;
    return;
  }
  ++packets_;
}

}  // namespace ceremony::media
