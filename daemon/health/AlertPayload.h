#pragma once
// The JSON body a webhook receives. One shape for every alert so a receiver can
// route on "type"; "text" is a ready-made Vietnamese line for chat webhooks.
//
// Point state change:
//   {"type":"point_state","time":"2025-07-28T14:03:12.345+07:00",
//    "point":{"id","name","kind","contact_name","contact_phone"},
//    "from":"up","to":"down","from_label":"hoạt động","to_label":"mất kết nối",
//    "reason":"connect timeout after 2000 ms","text":"…"}
// Uplink alarm raised / cleared:
//   {"type":"uplink_alarm","active":true,"time":…,"count":60,"watched":96,
//    "reason":"…","points":[{"id","name","kind","contact_name","contact_phone"},…],"text":"…"}
// The programme's sound ([watch], built in app/CeremonySound.cpp):
//   {"type":"sound","time":…,"alert":"silence"|"silence_over"|"clipping"|"off_target"|
//    "on_target","item":{"id","number","title"} or null,"value":12.0,"text":"…"}
// A point's return feed (app/CeremonyReturn.cpp, decided by app/ReturnAlarms.h):
//   {"type":"return_feed","time":…,"point":{"id","name","kind","contact_name",
//    "contact_phone"},"alert":"frozen"|"stopped"|"failed"|"flood","active":true|false,
//    "kbps":2150,"cap_kbps":1500 (flood only),"text":"Điểm cầu Xã Nghĩa Hành: hình gửi về bị đứng"}

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "health/HealthConfig.h"
#include "health/HealthEvents.h"

namespace ceremony::health {

nlohmann::json pointAlert(const HealthEvent& event, const PointConfig& point,
                          int utcOffsetMinutes = 7 * 60);

// `points`: the configs of the points the alarm covers; `watched`: points not in maintenance.
nlohmann::json uplinkAlert(const HealthEvent& event, const std::vector<const PointConfig*>& points,
                           int watched, int utcOffsetMinutes = 7 * 60);

}  // namespace ceremony::health
