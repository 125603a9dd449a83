#include "api/ControlApi.h"

#include "config/PercentEncoding.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>

#include <openssl/rand.h>

#include "config/Secrets.h"
#include "health/PointQuery.h"

namespace ceremony::api {

namespace {

using nlohmann::json;
constexpr const char* kJson = "application/json; charset=utf-8";

HttpResponse jsonResponse(int status, const json& body) {
  return HttpResponse{status, kJson, body.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

HttpResponse error(int status, const std::string& message) {
  return jsonResponse(status, json{{"error", message}});
}

HttpResponse methodNotAllowed(const std::string& allow) {
  HttpResponse r = error(405, "method not allowed here; use " + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

HttpResponse fromCommand(const CommandResult& r) {
  switch (r.error) {
    case CommandError::None:
      return jsonResponse(200, json{{"ok", true}});
    case CommandError::UnknownItem:
      return error(404, r.message);
    case CommandError::BadValue:
      return error(400, r.message);
    case CommandError::NotNow:
      return error(409, r.message);
  }
  return error(500, "internal error");
}

// A response given later (a report built off the event loop, a WebRTC answer): it may be
// ready before or after the server asks for it, and the second of the two sends it, once.
struct LaterResponse {
  HttpReply reply;
  std::optional<HttpResponse> response;
  void send() {
    if (!reply || !response) return;
    auto to = std::move(reply);
    reply = nullptr;
    HttpResponse r = std::move(*response);
    response.reset();
    to(std::move(r));
  }
  // What the handler returns: the server hands it the reply.
  static HttpResponse deferred(std::shared_ptr<LaterResponse> later, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.deferred = [later = std::move(later)](HttpReply reply) {
      later->reply = std::move(reply);
      later->send();
    };
    return r;
  }
};

// Who sent a command, from its User-Agent: the command line says its name, a browser is the
// dashboard, anything else is a script on the API.
std::string commandSource(const std::string& userAgent) {
  if (userAgent.rfind("ceremonyctl", 0) == 0) return "ceremonyctl";
  if (userAgent.find("Mozilla/") != std::string::npos) return "dashboard";
  return "api";
}

std::string bearer(const std::string& header) {
  // The scheme's name is case-insensitive (RFC 9110 §11.1): "bearer", "BEARER" too.
  constexpr std::string_view kPrefix = "bearer ";
  auto sameLetters = [&] {
    for (std::size_t i = 0; i < kPrefix.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(header[i])) != kPrefix[i]) return false;
    return true;
  };
  if (header.size() > kPrefix.size() && sameLetters()) {
    std::string t = header.substr(kPrefix.size());
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
    return t;
  }
  return {};
}

// The request body as a JSON object; empty body = {}.
std::optional<json> bodyObject(const HttpRequest& req, HttpResponse* bad) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) {
    *bad = error(400, "the body is not valid JSON");
    return std::nullopt;
  }
  if (!j.is_object()) {
    *bad = error(400, "the body must be a JSON object, e.g. {\"seconds\": 60}");
    return std::nullopt;
  }
  return j;
}

std::optional<std::string> stringField(const json& body, const char* name, HttpResponse* bad,
                                       const std::string& example) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    *bad = error(400, std::string("the body needs \"") + name + "\" as a string, e.g. " + example);
    return std::nullopt;
  }
  return it->get<std::string>();
}

}  // namespace

std::optional<std::string> Target::param(const std::string& name) const {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return std::nullopt;
}

Target parseTarget(const std::string& target) {
  Target t;
  const auto q = target.find('?');
  const std::string_view path = std::string_view(target).substr(0, q);
  t.path = std::string(path);
  std::size_t start = 1;
  if (path.empty() || path[0] != '/') {
    t.valid = false;
    return t;
  }
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto piece = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    auto d = percentDecodeStrict(piece);
    if (!d) {
      t.valid = false;
      return t;
    }
    t.segments.push_back(std::move(*d));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (!t.segments.empty() && t.segments.back().empty()) t.segments.pop_back();  // trailing /
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(target).substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      const auto eq = pair.find('=');
      auto k = percentDecodeStrict(pair.substr(0, eq), true);
      auto v = eq == std::string_view::npos ? std::optional<std::string>("")
                                            : percentDecodeStrict(pair.substr(eq + 1), true);
      if (!k || !v) {
        t.valid = false;
        return t;
      }
      if (!k->empty()) t.query.emplace_back(std::move(*k), std::move(*v));
      if (amp == std::string_view::npos) break;
      rest = rest.substr(amp + 1);
    }
  }
  return t;
}

ControlApi::ControlApi(Backend& backend, ApiTokens tokens, FailureLimit limit, Now now)
    : backend_(backend), tokens_(std::move(tokens)), limit_(limit), now_(std::move(now)) {}

ControlApi::Role ControlApi::roleOf(const std::string& token) const {
  if (!tokens_.operator_.empty() && !token.empty() && sameSecret(tokens_.operator_, token))
    return Role::Operator;
  if (!tokens_.viewer.empty() && !token.empty() && sameSecret(tokens_.viewer, token))
    return Role::Viewer;
  return Role::None;
}

std::string ControlApi::issueTicket(Role role, std::chrono::steady_clock::time_point now) {
  if (tickets_.size() >= kMaxTickets)
    std::erase_if(tickets_, [&](const auto& e) { return e.second.expires <= now; });
  // Still full (somebody asks for tickets and never uses them): the oldest goes. A page uses
  // its ticket within milliseconds, so a flood cannot keep a dashboard off its stream.
  if (tickets_.size() >= kMaxTickets)
    tickets_.erase(std::min_element(
        tickets_.begin(), tickets_.end(),
        [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; }));
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string ticket;
  for (unsigned char b : bytes) ticket += kAlphabet[b & 63];  // 144 random bits
  tickets_[ticket] = Ticket{role, now + kTicketLife};
  return ticket;
}

std::optional<ControlApi::Role> ControlApi::redeemTicket(
    const std::string& ticket, std::chrono::steady_clock::time_point now) {
  auto it = tickets_.find(ticket);
  if (it == tickets_.end()) return std::nullopt;
  const Ticket found = it->second;
  tickets_.erase(it);
  if (found.expires <= now) return std::nullopt;
  return found.role;
}

HttpResponse ControlApi::handle(const HttpRequest& request) {
  const auto now = now_();
  HttpResponse r;
  auto f = failures_.find(request.remote);
  if (f != failures_.end() && f->second.lockedUntil > now) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(f->second.lockedUntil - now);
    r = error(429, "Quá nhiều lần sai mã từ địa chỉ này; thử lại sau " +
                       std::to_string(left.count() + 1) +
                       " giây (too many wrong tokens from your address)");
    r.headers.emplace_back("Retry-After", std::to_string(left.count() + 1));
  } else {
    r = route(request);
    // Only a token that was given and wrong counts: a page opened without one is no guess.
    const bool guessed = !request.authorization.empty() ||
                         request.target.find("token=") != std::string::npos ||
                         request.target.find("ticket=") != std::string::npos;
    if (r.status == 401 && guessed && !request.remote.empty()) {
      if (failures_.size() > 10000)  // bounded: forget the ones whose window has passed
        std::erase_if(failures_, [&](const auto& e) {
          return e.second.lockedUntil <= now && now - e.second.since > limit_.window;
        });
      Failures& x = failures_[request.remote];
      if (x.count == 0 || now - x.since > limit_.window) {
        x.count = 0;
        x.since = now;
      }
      if (++x.count >= limit_.maxFailures) {
        x.lockedUntil = now + limit_.lockout;
        x.count = 0;
      }
    }
  }
  // An answer never carries the API's tokens back, even where it echoes what the client
  // sent (a path quoted in a 404: found by fuzz_api).
  for (const std::string* token : {&tokens_.viewer, &tokens_.operator_}) {
    if (token->empty()) continue;
    for (auto at = r.body.find(*token); at != std::string::npos; at = r.body.find(*token, at))
      r.body.replace(at, token->size(), "***");
  }
  if (r.status >= 500)
    ++counts_.serverErrors;
  else if (r.status >= 400)
    ++counts_.clientErrors;
  else
    ++counts_.ok;
  return r;
}

HttpResponse ControlApi::route(const HttpRequest& req) {
  const Target t = parseTarget(req.target);
  if (!t.valid) return error(400, "the request path is not valid (bad %-encoding)");
  const auto& s = t.segments;
  const std::string& m = req.method;
  const bool get = m == "GET" || m == "HEAD";
  const bool post = m == "POST";

  // ---- the dashboard's own files: public, they carry no data ----
  if (s.empty() || (s.size() == 1 && s[0] != "api" && s[0] != "metrics")) {
    const std::string name = s.empty() ? "index.html" : s[0];
    auto asset = dashboardAsset(name);
    if (!asset) return error(404, "no such page: " + t.path);
    if (!get) return methodNotAllowed("GET");
    HttpResponse r{200, asset->contentType, std::string(asset->body), {}};
    // Working on the dashboard: CEREMONYD_DASHBOARD_DIR serves the files from disk instead.
    if (const char* dir = std::getenv("CEREMONYD_DASHBOARD_DIR"); dir && *dir) {
      std::ifstream in(std::string(dir) + "/" + name, std::ios::binary);
      if (in) r.body.assign(std::istreambuf_iterator<char>(in), {});
    }
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }

  // ---- the video bridge: a point's page and its WHEP endpoint, with the point's token ----
  if (s[0] == "diem-cau" || s[0] == "whep" || s[0] == "whip") return bridgeRoute(req, t);

  // ---- who is asking ----
  // Something in the URL only where a browser cannot send a header: the dashboard's
  // EventSource on GET /api/stream, best with a one-use ticket of 30 s (a token in a URL
  // can sit in proxies' and browsers' histories, and an operator's be replayed by a link).
  std::string token = bearer(req.authorization);
  const bool streamRead = get && s.size() == 2 && s[0] == "api" && s[1] == "stream";
  std::optional<Role> ticketRole;
  if (token.empty()) {
    if (auto q = t.param("ticket")) {
      if (!streamRead) return error(401, "a ticket is taken only by GET /api/stream");
      ticketRole = redeemTicket(*q, now_());
      if (!ticketRole)
        return error(401, "the ticket is not valid: a ticket serves once, within " +
                              std::to_string(kTicketLife.count()) +
                              " s; ask POST /api/stream/ticket for a new one");
    } else if (auto q = t.param("token")) {
      if (!streamRead)
        return error(401,
                     "a token in the URL is taken only for GET /api/stream; send it as "
                     "Authorization: Bearer <token>");
      token = *q;
    }
  }
  const Role role = ticketRole ? *ticketRole : roleOf(token);
  const bool tokenGiven = !token.empty();

  auto needViewer = [&]() -> std::optional<HttpResponse> {
    if (tokens_.viewer.empty() || role != Role::None) return std::nullopt;
    return error(401, tokenGiven ? "the token is not valid"
                                 : "a token is needed: Authorization: Bearer <viewer token>");
  };
  auto needOperator = [&]() -> std::optional<HttpResponse> {
    if (role == Role::Operator) return std::nullopt;
    if (tokens_.operator_.empty())
      return error(403,
                   "changes are disabled: the daemon has no operator token (set "
                   "[api] operator_token_file or --operator-token-file)");
    if (role == Role::Viewer) return error(403, "the viewer token cannot change anything");
    return error(401, tokenGiven ? "the token is not valid"
                                 : "a token is needed: Authorization: Bearer <operator token>");
  };

  // ---- /metrics ----
  if (s.size() == 1 && s[0] == "metrics") {
    if (!get) return methodNotAllowed("GET");
    if (auto denied = needViewer()) return *denied;
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", backend_.metrics(), {}};
  }
  if (s[0] != "api" || s.size() < 2) return error(404, "no such resource: " + t.path);
  const std::string& what = s[1];

  // ---- heartbeats: the point's own token, nothing else ----
  if (what == "points" && s.size() == 4 && s[3] == "heartbeat") {
    if (!post) return methodNotAllowed("POST");
    switch (backend_.heartbeat(s[2], bearer(req.authorization))) {
      case HeartbeatOutcome::Accepted:
        return jsonResponse(200, json{{"ok", true}});
      // The same answer for an id that does not exist: nothing says which ids do.
      case HeartbeatOutcome::UnknownPoint:
      case HeartbeatOutcome::BadToken:
        return error(401, "the point's heartbeat token is missing or wrong");
    }
  }

  // ---- reads ----
  auto read = [&](auto&& produce) -> HttpResponse {
    if (!get) return methodNotAllowed("GET");
    if (auto denied = needViewer()) return *denied;
    return produce();
  };
  // ---- changes ----
  HttpResponse bad;
  auto change = [&](auto&& act) -> HttpResponse {
    if (!post) return methodNotAllowed("POST");
    if (auto denied = needOperator()) return *denied;
    auto body = bodyObject(req, &bad);
    if (!body) return bad;
    backend_.commandFrom(commandSource(req.userAgent));
    return act(*body);
  };

  if (what == "whoami" && s.size() == 2)
    return read([&] {
      const char* name = role == Role::Operator ? "operator"
                         : role == Role::Viewer ? "viewer"
                                                : "anonymous";
      return jsonResponse(200, json{{"role", name},
                                    {"can_change", role == Role::Operator},
                                    {"reads_need_token", !tokens_.viewer.empty()}});
    });
  if (what == "status" && s.size() == 2)
    return read([&] { return HttpResponse{200, kJson, backend_.statusBody(), {}}; });
  // A one-use ticket for the EventSource, in exchange for the token in the header.
  if (what == "stream" && s.size() == 3 && s[2] == "ticket") {
    if (!post) return methodNotAllowed("POST");
    if (auto denied = needViewer()) return *denied;
    const std::string ticket = issueTicket(role, now_());
    if (ticket.empty()) return error(503, "no stream ticket could be made (no random bytes)");
    HttpResponse r =
        jsonResponse(200, json{{"ticket", ticket}, {"expires_in_s", kTicketLife.count()}});
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  if (what == "stream" && s.size() == 2)
    return read([&] {
      HttpResponse r;
      r.eventStream = &backend_.feed();
      // ?points=full: the whole points list at every change (tools written before
      // "points-changed"), not the changed points only.
      r.wholeLists = t.param("points").value_or("") == "full";
      return r;
    });
  if (what == "preview.jpg" && s.size() == 2)
    return read([&] {
      auto jpeg = backend_.previewJpeg();
      if (!jpeg) return error(404, "no programme preview yet");
      return HttpResponse{200, "image/jpeg", std::move(*jpeg), {}};
    });
  if (what == "events" && s.size() == 2)
    return read([&] {
      std::size_t limit = 100;
      if (auto l = t.param("limit")) {
        std::size_t v = 0;
        auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), v);
        if (ec != std::errc() || p != l->data() + l->size() || v == 0 || v > 1000)
          return error(400, "limit must be a whole number from 1 to 1000");
        limit = v;
      }
      return jsonResponse(200, backend_.events(limit));
    });

  if (what == "report" && s.size() == 2)
    return read([&] {
      const std::string format = t.param("format").value_or("html");
      static const std::set<std::string> kFormats = {"html", "json", "items.csv", "points.csv",
                                                     "outages.csv"};
      if (!kFormats.count(format))
        return error(400, "format must be html, json, items.csv, points.csv or outages.csv");
      // Built off the event loop.
      auto later = std::make_shared<LaterResponse>();
      const bool kept = backend_.report(format, [later](Backend::ReportBody r) {
        HttpResponse out{200, r.contentType, std::move(r.body), {}};
        out.headers.emplace_back("Content-Disposition", "inline; filename=\"" + r.fileName + "\"");
        out.headers.emplace_back("Cache-Control", "no-store");
        later->response = std::move(out);
        later->send();
      });
      if (!kept)
        return error(404,
                     "the daemon keeps no journal, so there is no report: start it with "
                     "--state-dir (systemd's StateDirectory)");
      return LaterResponse::deferred(later);
    });

  if (what == "timeline") {
    if (s.size() == 2) return read([&] { return jsonResponse(200, backend_.timeline()); });
    if (s.size() != 3) return error(404, "no such resource: " + t.path);
    const std::string& op = s[2];
    if (op == "next") return change([&](const json&) { return fromCommand(backend_.next()); });
    if (op == "hold") return change([&](const json&) { return fromCommand(backend_.hold()); });
    if (op == "resume") return change([&](const json&) { return fromCommand(backend_.resume()); });
    if (op == "goto")
      return change([&](const json& b) {
        auto id = stringField(b, "id", &bad, "{\"id\": \"chi-dao\"}");
        return id ? fromCommand(backend_.goTo(*id)) : bad;
      });
    if (op == "extend")
      return change([&](const json& b) {
        auto it = b.find("seconds");
        if (it == b.end() || !it->is_number())
          return error(400, "the body needs \"seconds\" as a number, e.g. {\"seconds\": 300}");
        const double v = it->get<double>();
        if (!std::isfinite(v) || v < 1 || v > 4 * 3600 || v != std::floor(v))
          return error(400, "seconds must be a whole number from 1 to 14400");
        return fromCommand(backend_.extend(Millis(static_cast<long long>(v) * 1000)));
      });
    return error(404, "no timeline operation «" + op + "» (next, hold, resume, goto, extend)");
  }

  if (what == "program" && s.size() == 3 && s[2] == "cut")
    return change([&](const json& b) {
      auto scene = stringField(b, "scene", &bad, "{\"scene\": \"hall\"}");
      return scene ? fromCommand(backend_.cut(*scene)) : bad;
    });

  if (what == "cue" && s.size() == 3)
    return change([&](const json&) { return fromCommand(backend_.cue(s[2])); });

  if (what == "points") {
    if (s.size() == 2)
      return read([&] {
        bool notUp = false;
        if (auto f = t.param("filter")) {
          if (*f == "not-up")
            notUp = true;
          else if (*f != "all")
            return error(400, "filter must be not-up or all");
        }
        auto query = health::parsePointQuery(t.query);
        if (auto* why = std::get_if<std::string>(&query)) return error(400, *why);
        json answer = backend_.points(notUp);
        health::applyPointQuery(answer, std::get<health::PointQuery>(query));
        return jsonResponse(200, answer);
      });
    if (s.size() == 3)
      return read([&] {
        auto p = backend_.point(s[2]);
        if (!p) return error(404, "no connection point with id «" + s[2] + "»");
        return jsonResponse(200, *p);
      });
    if (s.size() == 4 && s[3] == "maintenance")
      return change([&](const json& b) {
        bool on = true;
        if (auto it = b.find("on"); it != b.end()) {
          if (!it->is_boolean()) return error(400, "\"on\" must be true or false");
          on = it->get<bool>();
        }
        std::string reason;
        if (auto it = b.find("reason"); it != b.end()) {
          if (!it->is_string()) return error(400, "\"reason\" must be a string");
          reason = it->get<std::string>();
          if (reason.size() > 500) return error(400, "\"reason\" is longer than 500 bytes");
        }
        return fromCommand(backend_.maintenance(s[2], on, reason));
      });
    return error(404, "no such resource: " + t.path);
  }

  if (what == "bridge") {
    if (s.size() == 2) return read([&] { return jsonResponse(200, backend_.bridgeSessions()); });
    if (s.size() == 3 && s[2] == "links") {
      if (!get) return methodNotAllowed("GET");
      // The links carry the points' tokens: only for those who may change the ceremony.
      if (auto denied = needOperator()) return *denied;
      auto links = backend_.bridgeLinks();
      if (!links) return error(404, "the video bridge is off ([bridge] in the configuration)");
      return jsonResponse(200, *links);
    }
    if (s.size() == 4 && s[3] == "end")
      return change([&](const json&) { return fromCommand(backend_.endBridgeSession(s[2])); });
    return error(404, "no such resource: " + t.path);
  }

  if (what == "outputs") {
    if (s.size() == 2) return read([&] { return jsonResponse(200, backend_.outputs()); });
    if (s.size() == 4 && s[3] == "start")
      return change([&](const json&) { return fromCommand(backend_.startOutput(s[2])); });
    if (s.size() == 4 && s[3] == "stop")
      return change([&](const json&) { return fromCommand(backend_.stopOutput(s[2])); });
    return error(404, "no such resource: " + t.path);
  }

  return error(404, "no such resource: " + t.path);
}

namespace {

// What a commune's staff see when their link is wrong: a page, not JSON.
HttpResponse pointPageError(int status, const std::string& message) {
  const std::string body =
      "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Điểm cầu</title>"
      "<link rel=\"stylesheet\" href=\"/diem-cau.css\"></head><body class=\"message\"><p>" +
      message + "</p></body></html>";
  HttpResponse r{status, "text/html; charset=utf-8", body, {}};
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

}  // namespace

HttpResponse ControlApi::bridgeRoute(const HttpRequest& req, const Target& t) {
  const auto& s = t.segments;
  const std::string& m = req.method;
  if (!backend_.bridgeEnabled()) {
    if (s[0] == "diem-cau")
      return pointPageError(404, "Cầu truyền hình chưa được bật ở tỉnh. Xin liên hệ tổ kỹ thuật.");
    return error(404, "the video bridge is off ([bridge] in the configuration)");
  }
  // ---- GET /diem-cau/<point>?token=… : the page a commune opens ----
  if (s[0] == "diem-cau") {
    if (s.size() != 2) return pointPageError(404, "Không có trang này.");
    if (m != "GET" && m != "HEAD") return methodNotAllowed("GET");
    const std::string token = t.param("token").value_or("");
    // The same answer for an unknown point and a wrong token: a link reveals nothing.
    if (token.empty() || !backend_.pointTokenValid(s[1], token))
      return pointPageError(401,
                            "Liên kết không đúng hoặc đã cũ. Xin liên hệ tổ kỹ thuật của tỉnh để "
                            "nhận liên kết mới.");
    auto asset = dashboardAsset("diem-cau.html");
    if (!asset) return error(500, "the point page is missing from this build");
    HttpResponse r{200, asset->contentType, std::string(asset->body), {}};
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  // ---- /whep/<point>[/<session>] : WHEP with the point's token as the bearer; /whip/… the
  // same for the point's return feed ----
  const bool whip = s[0] == "whip";
  if (s.size() < 2 || s.size() > 3) return error(404, "no such resource: " + t.path);
  const std::string& point = s[1];
  const std::string token = bearer(req.authorization);
  if (token.empty() || !backend_.pointTokenValid(point, token))
    return error(401, token.empty() ? "a token is needed: Authorization: Bearer <the point's token>"
                                    : "the token is not valid for this point");
  if (s.size() == 3) {
    if (m != "DELETE") return methodNotAllowed("DELETE");
    if (!(whip ? backend_.whipEnd(point, s[2]) : backend_.whepEnd(point, s[2])))
      return error(404, "no such session of this point");
    return HttpResponse{200, "text/plain; charset=utf-8", "", {}};
  }
  if (m != "POST") return methodNotAllowed("POST");
  if (req.contentType.rfind("application/sdp", 0) != 0)
    return error(415, std::string("a ") + (whip ? "WHIP" : "WHEP") +
                          " offer is sent as Content-Type: application/sdp");
  // The answer may come even before whepOffer returns; the Location (which needs the session
  // id) is added once both are known.
  struct Pending {
    LaterResponse later;
    std::optional<std::pair<int, std::string>> answer;
    std::string location;
    void finish() {
      if (!answer || location.empty()) return;
      auto [status, body] = std::move(*answer);
      answer.reset();
      HttpResponse r = status == 201 ? HttpResponse{201, "application/sdp", std::move(body), {}}
                                     : error(status, body);
      if (status == 201) r.headers.emplace_back("Location", location);
      later.response = std::move(r);
      later.send();
    }
  };
  auto pending = std::make_shared<Pending>();
  auto answer = [pending](int status, std::string body) {
    pending->answer.emplace(status, std::move(body));
    pending->finish();
  };
  WhepStart start = whip ? backend_.whipOffer(point, req.body, req.remote, answer)
                         : backend_.whepOffer(point, req.body, req.remote, answer);
  if (start.status != 0) return error(start.status, start.error);
  pending->location = "/" + s[0] + "/" + point + "/" + start.sessionId;
  pending->finish();
  return LaterResponse::deferred(std::shared_ptr<LaterResponse>(pending, &pending->later), 201);
}

}  // namespace ceremony::api
