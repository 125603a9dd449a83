// point_simulator: stands in for the 96 connection points (or 10,000) on loopback.
//
//   point_simulator --spec FILE [--control 127.0.0.1:PORT]
//
// The spec file has one line per endpoint or heartbeat sender ('#' starts a comment):
//
//   endpoint  ID ADDRESS:PORT BEHAVIOUR [PARAM_MS]
//   heartbeat ID URL EVERY_MS STOP_AFTER_MS TOKEN [FIRST_MS]
//
// BEHAVIOUR is one of
//   healthy        answers 200 "OK ID" at once
//   slow L         answers 200 after L ms
//   refusing       nothing listens: connects are refused
//   hang           accepts and never answers (holds the connection until the client leaves)
//   http500        answers 500
//   flapping P     healthy for P/2 ms, then 503 for P/2 ms, and again
// An answered connection stays open for the next request when the client asks for it
// (HTTP/1.1 keep-alive), as a commune's web server does.
// A heartbeat sender POSTs to URL (http://host:port/path) every EVERY_MS with the header
// "Authorization: Bearer TOKEN", and stops after STOP_AFTER_MS (0 = never); its first POST
// goes at once, or FIRST_MS after the start (10,000 senders spread over their period, as
// real points are). Tokens sit in the spec file, never on the command line.
//
// Control, one command per line on standard input or on a TCP connection to --control;
// each is answered "ok" or "error ..." (on stdout, or on that connection), so a test knows
// when it took effect:
//   set ID[,ID...] BEHAVIOUR [PARAM_MS]     e.g. "set p001,p002 refusing"
//   heartbeat-stop ID[,ID...]
//   heartbeat-start ID[,ID...]               restart sending (the stop timer restarts)
//   stats                                    the heartbeats sent since the start (or the
//                                            last stats-reset): "ok count N errors E
//                                            p50 X p95 X p99 X max X" (ms, response times
//                                            of the answered ones, connect to last byte)
//   stats-reset                              starts a new window for stats
//   quit
// A heartbeat is an error when it is not answered 2xx within 2 s (refused, reset, timed
// out, or another status); errors are counted, not timed.
// "ready N" is printed once all N endpoints listen. Addresses must be in 127.0.0.0/8:
// Linux routes all of it to lo, so each point gets its own address and a test can tell
// them apart without 96 ports.

#include <sys/resource.h>

// <utility> first: Boost 1.74's awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Millis = std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

namespace {

enum class Behaviour { Healthy, Slow, Refusing, Hang, Http500, Flapping };

std::optional<Behaviour> parseBehaviour(const std::string& s) {
  static const std::map<std::string, Behaviour> names = {
      {"healthy", Behaviour::Healthy},   {"slow", Behaviour::Slow},
      {"refusing", Behaviour::Refusing}, {"hang", Behaviour::Hang},
      {"http500", Behaviour::Http500},   {"flapping", Behaviour::Flapping}};
  auto it = names.find(s);
  if (it == names.end()) return std::nullopt;
  return it->second;
}

struct Endpoint;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Endpoint& endpoint)
      : socket_(std::move(socket)), endpoint_(endpoint), timer_(socket_.get_executor()) {}
  void start();
  void close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

 private:
  void answer();
  void respond(http::status status);

  tcp::socket socket_;
  Endpoint& endpoint_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  char sink_[512];
};

struct Endpoint {
  std::string id;
  tcp::endpoint at;
  Behaviour behaviour = Behaviour::Healthy;
  Millis param{0};
  Steady::time_point since = Steady::now();
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::weak_ptr<Session>> sessions;
};

class Simulator {
 public:
  explicit Simulator(asio::io_context& io) : io_(io), input_(io, ::dup(STDIN_FILENO)) {}

  bool load(const std::string& path);
  bool control(const std::string& address);
  void run();

 private:
  struct Heartbeat {
    std::string id, host, port, target, token;
    Millis every{1000}, stopAfter{0}, first{0};
    Steady::time_point startedAt;
    bool stopped = false;
    std::unique_ptr<asio::steady_timer> timer;
  };

  bool listen(Endpoint& e);
  void accept(Endpoint& e);
  void apply(Endpoint& e, Behaviour b, Millis param);
  void tick(Heartbeat& h);
  void post(Heartbeat& h);
  void readCommand();
  void acceptControl();
  std::string command(const std::string& line);

  asio::io_context& io_;
  asio::posix::stream_descriptor input_;
  asio::streambuf inputBuffer_;
  std::optional<tcp::acceptor> control_;
  std::map<std::string, std::unique_ptr<Endpoint>> endpoints_;
  std::map<std::string, std::unique_ptr<Heartbeat>> heartbeats_;
  // Heartbeats sent in the current stats window: response times (ms) and errors.
  std::vector<float> latencies_;
  std::uint64_t heartbeatErrors_ = 0;
  std::uint64_t window_ = 0;  // bumped by stats-reset: answers of older posts are not counted
  std::string stats() const;
};

void Session::start() {
  auto self = shared_from_this();
  if (endpoint_.behaviour == Behaviour::Hang) {
    // Never answer; notice when the client gives up so the socket is freed.
    socket_.async_read_some(asio::buffer(sink_), [self](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->start();
    });
    return;
  }
  http::async_read(socket_, buffer_, request_, [self](beast::error_code ec, std::size_t) {
    if (ec) return self->close();
    self->answer();
  });
}

void Session::answer() {
  switch (endpoint_.behaviour) {
    case Behaviour::Slow: {
      timer_.expires_after(endpoint_.param);
      timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->respond(http::status::ok);
      });
      return;
    }
    case Behaviour::Http500:
      return respond(http::status::internal_server_error);
    case Behaviour::Flapping: {
      const auto half = std::max<long long>(endpoint_.param.count() / 2, 1);
      const auto phase =
          std::chrono::duration_cast<Millis>(Steady::now() - endpoint_.since).count() / half;
      return respond(phase % 2 == 0 ? http::status::ok : http::status::service_unavailable);
    }
    case Behaviour::Hang:
      return start();
    default:
      return respond(http::status::ok);
  }
}

void Session::respond(http::status status) {
  response_ = {};
  response_.result(status);
  response_.version(11);
  response_.set(http::field::content_type, "text/plain; charset=utf-8");
  // Keep-alive as a commune's web server keeps it (the client asks, HTTP/1.1's default).
  const bool keep = request_.keep_alive();
  response_.keep_alive(keep);
  response_.body() = (status == http::status::ok ? "OK " : "FAIL ") + endpoint_.id + "\n";
  response_.prepare_payload();
  http::async_write(socket_, response_,
                    [self = shared_from_this(), keep](beast::error_code ec, std::size_t) {
                      if (keep && !ec) {
                        self->request_ = {};
                        return self->start();  // the next request, or the client's close
                      }
                      boost::system::error_code ignored;
                      self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                      self->close();
                    });
}

bool Simulator::listen(Endpoint& e) {
  boost::system::error_code ec;
  e.acceptor.emplace(io_);
  e.acceptor->open(e.at.protocol(), ec);
  if (!ec) e.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) e.acceptor->bind(e.at, ec);
  if (!ec) e.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "point_simulator: cannot listen on " << e.at << ": " << ec.message() << "\n";
    e.acceptor.reset();
    return false;
  }
  accept(e);
  return true;
}

void Simulator::accept(Endpoint& e) {
  if (!e.acceptor) return;
  e.acceptor->async_accept([this, &e](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !e.acceptor) return;
    if (!ec) {
      auto session = std::make_shared<Session>(std::move(socket), e);
      // Forget sessions that ended, so the list stays as long as the live ones.
      std::erase_if(e.sessions, [](const auto& w) { return w.expired(); });
      e.sessions.push_back(session);
      session->start();
    }
    accept(e);
  });
}

void Simulator::apply(Endpoint& e, Behaviour b, Millis param) {
  e.behaviour = b;
  e.param = param;
  e.since = Steady::now();
  if (b == Behaviour::Refusing) {
    // A point that died: its listener and every open connection go away.
    if (e.acceptor) {
      boost::system::error_code ignored;
      e.acceptor->close(ignored);
      e.acceptor.reset();
    }
    for (auto& w : e.sessions)
      if (auto s = w.lock()) s->close();
    e.sessions.clear();
  } else if (!e.acceptor) {
    listen(e);
  }
}

bool Simulator::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "point_simulator: cannot read " << path << "\n";
    return false;
  }
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string what;
    if (!(words >> what)) continue;
    const auto bad = [&](const std::string& why) {
      std::cerr << path << ":" << lineNo << ": " << why << "\n";
      return false;
    };
    if (what == "endpoint") {
      std::string id, address, behaviour;
      long long param = 0;
      if (!(words >> id >> address >> behaviour)) return bad("endpoint ID ADDRESS:PORT BEHAVIOUR");
      words >> param;
      auto b = parseBehaviour(behaviour);
      if (!b) return bad("unknown behaviour " + behaviour);
      const auto colon = address.rfind(':');
      if (colon == std::string::npos) return bad("ADDRESS:PORT expected");
      boost::system::error_code ec;
      auto ip = asio::ip::make_address(address.substr(0, colon), ec);
      if (ec || !ip.is_v4() || (ip.to_v4().to_uint() >> 24) != 127)
        return bad("address must be in 127.0.0.0/8");
      auto e = std::make_unique<Endpoint>();
      e->id = id;
      e->at = tcp::endpoint(ip, static_cast<unsigned short>(std::stoi(address.substr(colon + 1))));
      e->behaviour = *b;
      e->param = Millis(param);
      endpoints_[id] = std::move(e);
    } else if (what == "heartbeat") {
      auto h = std::make_unique<Heartbeat>();
      std::string url;
      long long every = 0, stop = 0;
      if (!(words >> h->id >> url >> every >> stop >> h->token))
        return bad("heartbeat ID URL EVERY_MS STOP_AFTER_MS TOKEN");
      const std::string scheme = "http://";
      if (url.rfind(scheme, 0) != 0) return bad("heartbeat URL must be http://");
      const auto slash = url.find('/', scheme.size());
      const std::string hostPort = url.substr(scheme.size(), slash - scheme.size());
      h->target = slash == std::string::npos ? "/" : url.substr(slash);
      const auto colon = hostPort.rfind(':');
      h->host = hostPort.substr(0, colon);
      h->port = colon == std::string::npos ? "80" : hostPort.substr(colon + 1);
      h->every = Millis(std::max<long long>(every, 10));
      h->stopAfter = Millis(stop);
      long long first = 0;
      if (words >> first) h->first = Millis(std::max<long long>(first, 0));
      heartbeats_[h->id] = std::move(h);
    } else {
      return bad("unknown line " + what);
    }
  }
  return true;
}

void Simulator::tick(Heartbeat& h) {
  if (h.stopped) return;
  if (h.stopAfter.count() > 0 && Steady::now() - h.startedAt >= h.stopAfter) {
    h.stopped = true;
    return;
  }
  post(h);
  h.timer->expires_after(h.every);
  h.timer->async_wait([this, &h](beast::error_code ec) {
    if (!ec) tick(h);
  });
}

void Simulator::post(Heartbeat& h) {
  struct Client {
    explicit Client(asio::io_context& io) : socket(io), timer(io) {}
    tcp::socket socket;
    asio::steady_timer timer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
    beast::flat_buffer buffer;
  };
  auto c = std::make_shared<Client>(io_);
  const auto sent = Steady::now();
  const auto window = window_;
  // Records the outcome once, in the window it was sent in.
  auto record = [this, sent, window](bool ok) {
    if (window != window_) return;
    if (!ok) {
      ++heartbeatErrors_;
      return;
    }
    latencies_.push_back(std::chrono::duration<float, std::milli>(Steady::now() - sent).count());
  };
  c->request.method(http::verb::post);
  c->request.target(h.target);
  c->request.version(11);
  c->request.set(http::field::host, h.host);
  c->request.set(http::field::authorization, "Bearer " + h.token);
  c->request.set(http::field::content_type, "application/json");
  c->request.body() = "{}";
  c->request.prepare_payload();
  c->timer.expires_after(Millis(2000));
  c->timer.async_wait([c](beast::error_code ec) {
    if (!ec) c->socket.close();
  });
  boost::system::error_code ec;
  tcp::endpoint to(asio::ip::make_address(h.host, ec),
                   static_cast<unsigned short>(std::stoi(h.port)));
  if (ec) return record(false);
  c->socket.async_connect(to, [c, record](beast::error_code e) {
    if (e) {
      c->timer.cancel();
      return record(false);
    }
    http::async_write(c->socket, c->request, [c, record](beast::error_code e2, std::size_t) {
      if (e2) {
        c->timer.cancel();
        return record(false);
      }
      http::async_read(c->socket, c->buffer, c->response,
                       [c, record](beast::error_code e3, std::size_t) {
                         c->timer.cancel();
                         record(!e3 && c->response.result_int() / 100 == 2);
                         boost::system::error_code ignored;
                         c->socket.close(ignored);
                       });
    });
  });
}

std::string Simulator::command(const std::string& line) {
  std::istringstream words(line);
  std::string verb, ids;
  words >> verb;
  if (verb == "quit") {
    io_.stop();
    return "ok";
  }
  if (verb == "stats") return stats();
  if (verb == "stats-reset") {
    latencies_.clear();
    heartbeatErrors_ = 0;
    ++window_;
    return "ok";
  }
  words >> ids;
  std::vector<std::string> list;
  std::istringstream split(ids);
  for (std::string id; std::getline(split, id, ',');)
    if (!id.empty()) list.push_back(id);
  if (list.empty()) return "error: no ids";
  if (verb == "set") {
    std::string behaviour;
    long long param = 0;
    words >> behaviour >> param;
    auto b = parseBehaviour(behaviour);
    if (!b) return "error: unknown behaviour " + behaviour;
    for (const auto& id : list)
      if (!endpoints_.count(id)) return "error: unknown endpoint " + id;
    for (const auto& id : list) apply(*endpoints_[id], *b, Millis(param));
    return "ok";
  }
  if (verb == "heartbeat-stop" || verb == "heartbeat-start") {
    for (const auto& id : list)
      if (!heartbeats_.count(id)) return "error: unknown heartbeat " + id;
    for (const auto& id : list) {
      Heartbeat& h = *heartbeats_[id];
      h.timer->cancel();
      h.stopped = verb == "heartbeat-stop";
      if (!h.stopped) {
        h.startedAt = Steady::now();
        tick(h);
      }
    }
    return "ok";
  }
  return "error: unknown command " + verb;
}

std::string Simulator::stats() const {
  std::vector<float> sorted = latencies_;
  std::sort(sorted.begin(), sorted.end());
  const auto at = [&sorted](double q) -> double {
    if (sorted.empty()) return 0.0;
    const auto i = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(i, sorted.size() - 1)];
  };
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(2);
  out << "ok count " << sorted.size() << " errors " << heartbeatErrors_ << " p50 " << at(0.5)
      << " p95 " << at(0.95) << " p99 " << at(0.99) << " max " << at(1.0);
  return out.str();
}

void Simulator::readCommand() {
  asio::async_read_until(input_, inputBuffer_, '\n', [this](beast::error_code ec, std::size_t) {
    if (ec) return;  // stdin closed: keep serving until killed
    std::istream in(&inputBuffer_);
    std::string line;
    std::getline(in, line);
    std::cout << command(line) << std::endl;
    readCommand();
  });
}

bool Simulator::control(const std::string& address) {
  const auto colon = address.rfind(':');
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address.substr(0, colon), ec);
  if (ec || colon == std::string::npos) return false;
  control_.emplace(io_);
  control_->open(tcp::v4(), ec);
  if (!ec) control_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec)
    control_->bind(
        tcp::endpoint(ip, static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))), ec);
  if (!ec) control_->listen(8, ec);
  if (ec) std::cerr << "point_simulator: control " << address << ": " << ec.message() << "\n";
  return !ec;
}

void Simulator::acceptControl() {
  if (!control_) return;
  struct Connection {
    explicit Connection(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    asio::streambuf buffer;
    std::string reply;
  };
  control_->async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;
    auto c = std::make_shared<Connection>(std::move(socket));
    auto readLine = std::make_shared<std::function<void()>>();
    *readLine = [this, c, readLine] {
      asio::async_read_until(c->socket, c->buffer, '\n',
                             [this, c, readLine](beast::error_code e, std::size_t) {
                               if (e) {
                                 *readLine = nullptr;  // break the cycle: the connection ends
                                 return;
                               }
                               std::istream in(&c->buffer);
                               std::string line;
                               std::getline(in, line);
                               c->reply = command(line) + "\n";
                               asio::async_write(c->socket, asio::buffer(c->reply),
                                                 [readLine](beast::error_code e2, std::size_t) {
                                                   if (!e2 && *readLine) (*readLine)();
                                                 });
                             });
    };
    (*readLine)();
    acceptControl();
  });
}

void Simulator::run() {
  std::size_t listening = 0;
  for (auto& [id, e] : endpoints_)
    if (e->behaviour == Behaviour::Refusing || listen(*e)) ++listening;
  for (auto& [id, h] : heartbeats_) {
    h->timer = std::make_unique<asio::steady_timer>(io_);
    h->startedAt = Steady::now();
    if (h->first.count() == 0) {
      tick(*h);
      continue;
    }
    h->timer->expires_after(h->first);
    h->timer->async_wait([this, &h = *h](beast::error_code ec) {
      if (!ec) tick(h);
    });
  }
  std::cout << "ready " << listening << std::endl;
  readCommand();
  acceptControl();
  io_.run();
}

}  // namespace

int main(int argc, char** argv) {
  std::string spec, control;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--spec" && i + 1 < argc) spec = argv[++i];
    if (a == "--control" && i + 1 < argc) control = argv[++i];
  }
  if (spec.empty()) {
    std::cerr << "usage: point_simulator --spec FILE\n";
    return 2;
  }
  // 10,000 points need 10,000 listeners plus their connections.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  asio::io_context io;
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&io](beast::error_code, int) { io.stop(); });
  Simulator simulator(io);
  if (!simulator.load(spec)) return 2;
  if (!control.empty() && !simulator.control(control)) return 2;
  simulator.run();
  return 0;
}
