#pragma once
// Debian's Chromium, headless, driven over the DevTools protocol: what a browser test of the
// dashboard needs and no more. The browser is a Process (its own process group, killed with
// everything it started when the test ends); the protocol runs over a Boost.Beast websocket
// with a deadline on every step, so a hung browser fails the test instead of hanging it.
//
//   HeadlessChromium chromium(profileDir, logDir);
//   DevToolsPage page = chromium.page();
//   page.navigate("http://127.0.0.1:8080/");
//   nlohmann::json n = page.evaluate("document.querySelectorAll('.tile').length");
//   page.screenshot(dir / "dashboard.png");
//
// Also httpRequest(): a bounded HTTP/1.1 client for 127.0.0.1 (DevTools' /json/list, the
// daemon's API).

// <utility> first: Boost 1.74's awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/Process.h"

namespace ceremony::testing {

namespace devtools {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// Runs one asynchronous operation on `io` with a deadline. `start` receives the completion
// handler; on timeout `cancel` is called (close the socket) and the operation is drained.
template <class Start, class Cancel>
void awaitOp(asio::io_context& io, std::chrono::milliseconds limit, const std::string& what,
             Start&& start, Cancel&& cancel) {
  bool done = false;
  beast::error_code result;
  start([&](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  io.restart();
  io.run_for(limit);
  if (!done) {
    cancel();
    io.restart();
    io.run_for(std::chrono::seconds(2));
    throw std::runtime_error(what + ": no answer within " + std::to_string(limit.count()) + " ms");
  }
  if (result) throw std::runtime_error(what + ": " + result.message());
}

inline std::string base64Decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) continue;  // '=' padding, line breaks
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (++count == 4) {
      out.push_back(static_cast<char>((bits >> 16) & 0xff));
      out.push_back(static_cast<char>((bits >> 8) & 0xff));
      out.push_back(static_cast<char>(bits & 0xff));
      bits = 0;
      count = 0;
    }
  }
  if (count == 3) {
    out.push_back(static_cast<char>((bits >> 10) & 0xff));
    out.push_back(static_cast<char>((bits >> 2) & 0xff));
  } else if (count == 2) {
    out.push_back(static_cast<char>((bits >> 4) & 0xff));
  }
  return out;
}
}  // namespace devtools

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// One request to 127.0.0.1:port, bounded by `limit`. Throws when there is no answer.
inline HttpAnswer httpRequest(int port, const std::string& method, const std::string& target,
                              const std::string& bearer = {}, const std::string& body = {},
                              std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  using namespace devtools;
  asio::io_context io;
  beast::tcp_stream stream(io);
  const tcp::endpoint peer(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  const auto cancel = [&] { stream.close(); };
  const std::string what = method + " " + target.substr(0, target.find('?'));
  awaitOp(
      io, limit, what, [&](auto h) { stream.async_connect(peer, h); }, cancel);
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  req.keep_alive(false);
  awaitOp(
      io, limit, what, [&](auto h) { http::async_write(stream, req, h); }, cancel);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  awaitOp(
      io, limit, what, [&](auto h) { http::async_read(stream, buffer, res, h); }, cancel);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return {static_cast<int>(res.result_int()), res.body()};
}

// One page target of the browser, over its DevTools websocket.
class DevToolsPage {
 public:
  explicit DevToolsPage(const std::string& webSocketUrl) : ws_(io_) {
    using namespace devtools;
    // ws://127.0.0.1:PORT/devtools/page/ID
    const std::string prefix = "ws://";
    const auto hostEnd = webSocketUrl.find('/', prefix.size());
    if (webSocketUrl.rfind(prefix, 0) != 0 || hostEnd == std::string::npos)
      throw std::runtime_error("unexpected DevTools URL " + webSocketUrl);
    const std::string host = webSocketUrl.substr(prefix.size(), hostEnd - prefix.size());
    const std::string path = webSocketUrl.substr(hostEnd);
    const auto colon = host.rfind(':');
    const auto port = static_cast<unsigned short>(std::stoi(host.substr(colon + 1)));
    const tcp::endpoint peer(asio::ip::make_address(host.substr(0, colon)), port);
    const auto cancel = [this] { beast::get_lowest_layer(ws_).close(); };
    awaitOp(
        io_, std::chrono::seconds(5), "DevTools connect",
        [&](auto h) { beast::get_lowest_layer(ws_).async_connect(peer, h); }, cancel);
    ws_.read_message_max(64 * 1024 * 1024);  // screenshots arrive as one base64 message
    awaitOp(
        io_, std::chrono::seconds(5), "DevTools handshake",
        [&](auto h) { ws_.async_handshake(host, path, h); }, cancel);
  }
  DevToolsPage(const DevToolsPage&) = delete;
  DevToolsPage& operator=(const DevToolsPage&) = delete;
  ~DevToolsPage() { boost::beast::get_lowest_layer(ws_).close(); }

  // Sends a command and returns its "result"; throws on a protocol error or the deadline.
  // Error messages name the method, never the parameters (they may carry a token).
  nlohmann::json call(const std::string& method,
                      const nlohmann::json& params = nlohmann::json::object(),
                      std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    using namespace devtools;
    const int id = ++lastId_;
    const std::string text =
        nlohmann::json{{"id", id}, {"method", method}, {"params", params}}.dump();
    const auto cancel = [this] { beast::get_lowest_layer(ws_).close(); };
    awaitOp(
        io_, limit, method, [&](auto h) { ws_.async_write(asio::buffer(text), h); }, cancel);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw std::runtime_error(method + ": no answer in time");
      beast::flat_buffer buffer;
      awaitOp(
          io_, left, method, [&](auto h) { ws_.async_read(buffer, h); }, cancel);
      auto message = nlohmann::json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
      if (!message.is_object() || !message.contains("id") || message["id"] != id)
        continue;  // an event, or an answer to an earlier call
      if (message.contains("error"))
        throw std::runtime_error(method + " failed: " + message["error"].dump());
      return message.value("result", nlohmann::json::object());
    }
  }

  // The value of a JavaScript expression (promises are awaited). Throws on an exception in
  // the page, with its description but not the expression.
  nlohmann::json evaluate(const std::string& expression,
                          std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto r =
        call("Runtime.evaluate",
             {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}}, limit);
    if (r.contains("exceptionDetails")) {
      const auto& d = r["exceptionDetails"];
      std::string text = d.value("text", "");
      if (d.contains("exception")) text += " " + d["exception"].value("description", "");
      throw std::runtime_error("JavaScript exception: " + text);
    }
    return r["result"].value("value", nlohmann::json());
  }

  // Polls `expression` until it is true (JavaScript truthiness of a boolean result).
  bool waitFor(const std::string& expression, std::chrono::milliseconds limit,
               std::chrono::milliseconds every = std::chrono::milliseconds(50)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (evaluate("!!(" + expression + ")") == true) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(every);
    }
  }

  void navigate(const std::string& url,
                std::chrono::milliseconds limit = std::chrono::seconds(15)) {
    call("Page.navigate", {{"url", url}}, limit);
    if (!waitFor(
            "document.readyState === 'complete' && location.href === " + nlohmann::json(url).dump(),
            limit))
      throw std::runtime_error("page did not load: " + url);
  }

  // A PNG of the whole page (beyond the viewport when it is taller).
  void screenshot(const std::filesystem::path& file) {
    const auto metrics = call("Page.getLayoutMetrics");
    const auto size = metrics.value("cssContentSize", nlohmann::json::object());
    nlohmann::json params{{"format", "png"}, {"captureBeyondViewport", true}};
    if (size.contains("width") && size.contains("height"))
      params["clip"] = {
          {"x", 0}, {"y", 0}, {"width", size["width"]}, {"height", size["height"]}, {"scale", 1}};
    auto r = call("Page.captureScreenshot", params, std::chrono::seconds(20));
    writeText(file, devtools::base64Decode(r.value("data", "")));
  }

  // The layout viewport in CSS pixels (headless windows lose some height to window chrome).
  void setViewport(int width, int height) {
    call("Emulation.setDeviceMetricsOverride",
         {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}});
  }

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  int lastId_ = 0;
};

class HeadlessChromium {
 public:
  // `profile`: an empty directory for the browser's profile; `logDir`: where its output goes.
  // `extraArgs`: more switches, e.g. --autoplay-policy=no-user-gesture-required for a point.
  HeadlessChromium(const std::filesystem::path& profile, const std::filesystem::path& logDir,
                   int width = 1600, int height = 1000, std::vector<std::string> extraArgs = {})
      : width_(width), height_(height) {
    const std::filesystem::path binary = "/usr/bin/chromium";
    if (!std::filesystem::exists(binary))
      throw std::runtime_error("/usr/bin/chromium missing: install the Debian package chromium");
    std::vector<std::string> argv{
        binary.string(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--disable-dev-shm-usage",
        "--mute-audio",
        "--user-data-dir=" + profile.string(),
        "--remote-debugging-port=0",
        "--window-size=" + std::to_string(width) + "," + std::to_string(height)};
    argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
    argv.push_back("about:blank");
    process_ = std::make_unique<Process>(
        argv, ProcessOptions{logDir / "chromium.out", logDir / "chromium.err"});
    // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID"
    const std::string marker = "DevTools listening on ws://127.0.0.1:";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      const std::string err = process_->errorLog();
      if (auto at = err.find(marker); at != std::string::npos) {
        const auto end = err.find('/', at + marker.size());
        if (end != std::string::npos) {
          port_ = std::stoi(err.substr(at + marker.size(), end - at - marker.size()));
          break;
        }
      }
      if (!process_->running() || std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("chromium did not start DevTools: " + tailOf(err));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~HeadlessChromium() {
    if (process_) process_->stop(std::chrono::seconds(3));
  }

  int devToolsPort() const { return port_; }
  Process& process() { return *process_; }

  // The first page target (the about:blank it was started with).
  std::unique_ptr<DevToolsPage> page() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      const auto list = httpRequest(port_, "GET", "/json/list");
      auto targets = nlohmann::json::parse(list.body, nullptr, false);
      if (targets.is_array())
        for (const auto& t : targets)
          if (t.value("type", "") == "page" && t.contains("webSocketDebuggerUrl")) {
            auto page =
                std::make_unique<DevToolsPage>(t["webSocketDebuggerUrl"].get<std::string>());
            page->setViewport(width_, height_);
            return page;
          }
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("chromium has no page target: " + list.body);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

 private:
  int width_, height_;
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

}  // namespace ceremony::testing
