#pragma once
// Peers of the health tests: the point simulator as a real process, and a tiny HTTP
// receiver on the test's io_context (the webhook receiver, the heartbeat route).

// <utility> first: Boost 1.74's awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/FreePort.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace ceremony::testing {

namespace health_peers {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
}  // namespace health_peers

// Runs `io` until `done()` or `limit`, whichever first. Returns done().
template <class Done>
bool runUntil(boost::asio::io_context& io, std::chrono::milliseconds limit, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return done();
}

inline void runFor(boost::asio::io_context& io, std::chrono::milliseconds d) {
  runUntil(io, d, [] { return false; });
}

// 127.0.0.2 ... 127.0.0.251, 127.0.1.2 ...: one loopback address per point (250 a block).
inline std::string pointAddress(int index) {
  return "127.0." + std::to_string(index / 250) + "." + std::to_string(2 + index % 250);
}

// tests/tools/point_simulator, started with a spec and a control port.
class PointSimulator {
 public:
  PointSimulator(const std::filesystem::path& dir, const std::string& spec, int endpoints) {
    const auto program = std::filesystem::path(CEREMONYD_BINARY).parent_path() / "point_simulator";
    if (!std::filesystem::exists(program))
      throw std::runtime_error(program.string() + " missing: build the point_simulator target");
    writeText(dir / "points.spec", spec);
    controlPort_ = freePorts(1)[0];
    process_ = std::make_unique<Process>(
        std::vector<std::string>{program.string(), "--spec", (dir / "points.spec").string(),
                                 "--control", "127.0.0.1:" + std::to_string(controlPort_)},
        ProcessOptions{dir / "simulator.log"});
    const std::string ready = "ready " + std::to_string(endpoints);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (process_->log().find(ready) == std::string::npos) {
      if (!process_->running() || std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("point_simulator not ready: " + tailOf(process_->log()));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // One control command ("set p001,p002 refusing"); returns the simulator's answer.
  std::string command(const std::string& line) {
    using namespace health_peers;
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                 static_cast<unsigned short>(controlPort_)));
    asio::write(socket, asio::buffer(line + "\n"));
    asio::streambuf reply;
    asio::read_until(socket, reply, '\n');
    std::istream in(&reply);
    std::string answer;
    std::getline(in, answer);
    return answer;
  }

  Process& process() { return *process_; }

 private:
  int controlPort_ = 0;
  std::unique_ptr<Process> process_;
};

// An HTTP server on 127.0.0.1 that records every request and answers with the status
// `answer` returns. Lives on the test's io_context.
class HttpReceiver {
 public:
  struct Request {
    std::string method, target, authorization, body;
    std::chrono::steady_clock::time_point at;
  };
  using Answer = std::function<unsigned(const Request&)>;

  HttpReceiver(boost::asio::io_context& io, Answer answer)
      : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}), answer_(std::move(answer)) {
    accept();
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }
  const std::vector<Request>& requests() const { return requests_; }

 private:
  struct Session {
    explicit Session(health_peers::tcp::socket s) : socket(std::move(s)) {}
    health_peers::tcp::socket socket;
    health_peers::beast::flat_buffer buffer;
    health_peers::http::request<health_peers::http::string_body> request;
    health_peers::http::response<health_peers::http::string_body> response;
  };

  void accept() {
    using namespace health_peers;
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto s = std::make_shared<Session>(std::move(socket));
      http::async_read(
          s->socket, s->buffer, s->request, [this, s](beast::error_code e, std::size_t) {
            if (e) return;
            Request r{std::string(s->request.method_string()), std::string(s->request.target()),
                      std::string(s->request[http::field::authorization]), s->request.body(),
                      std::chrono::steady_clock::now()};
            requests_.push_back(r);
            s->response.result(answer_(r));
            s->response.version(11);
            s->response.keep_alive(false);
            s->response.prepare_payload();
            http::async_write(s->socket, s->response, [s](beast::error_code, std::size_t) {
              beast::error_code ignored;
              s->socket.shutdown(tcp::socket::shutdown_send, ignored);
            });
          });
      accept();
    });
  }

  health_peers::tcp::acceptor acceptor_;
  Answer answer_;
  std::vector<Request> requests_;
};

}  // namespace ceremony::testing
