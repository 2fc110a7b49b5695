// The HTTP layer of the gateway (Boost.Beast on Asio coroutines): connections, keep-alive, limits,
// timeouts, streaming, drain. Everything about what a request means is in gateway.cpp.
#include <csignal>
#include <thread>
#include <unordered_set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "backends/openai_json.h"
#include "server/server.h"

namespace occam::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

struct Session {
  beast::tcp_stream* stream = nullptr;
  bool idle = true;  // waiting for the next request: may be closed by a drain
};

struct Worker {
  asio::io_context ioc{1};
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unordered_set<Session*> sessions;  // touched only on this worker's thread
  bool draining = false;
  std::thread thread;
};

class BeastStreamWriter final : public StreamWriter {
 public:
  BeastStreamWriter(beast::tcp_stream& stream, bool keep_alive, std::chrono::milliseconds write_timeout)
      : stream_(stream), keep_alive_(keep_alive), write_timeout_(write_timeout) {}

  Task<Status> begin(const std::vector<std::pair<std::string, std::string>>& headers) override {
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::server, "occam");
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-cache");
    res.set("X-Accel-Buffering", "no");
    for (const auto& [name, value] : headers) res.set(name, value);
    res.keep_alive(keep_alive_);
    res.chunked(true);
    http::response_serializer<http::empty_body> serializer{res};
    stream_.expires_after(write_timeout_);
    auto [ec, n] = co_await http::async_write_header(stream_, serializer, nothrow);
    co_return check(ec);
  }

  Task<Status> write(std::string_view bytes) override {
    if (failed_) co_return make_error(ErrorCode::io, "client connection lost");
    stream_.expires_after(write_timeout_);
    auto [ec, n] = co_await asio::async_write(stream_, http::make_chunk(asio::buffer(bytes.data(), bytes.size())), nothrow);
    co_return check(ec);
  }

  Task<Status> end() override {
    if (failed_) co_return make_error(ErrorCode::io, "client connection lost");
    stream_.expires_after(write_timeout_);
    auto [ec, n] = co_await asio::async_write(stream_, http::make_chunk_last(), nothrow);
    stream_.expires_never();
    co_return check(ec);
  }

  bool failed() const { return failed_; }

 private:
  Status check(const beast::error_code& ec) {
    if (!ec) return ok_status();
    failed_ = true;
    return make_error(ErrorCode::io, "client connection lost: {}", ec.message());
  }

  beast::tcp_stream& stream_;
  bool keep_alive_;
  std::chrono::milliseconds write_timeout_;
  bool failed_ = false;
};

}  // namespace

struct Server::Impl {
  std::unique_ptr<Gateway> gateway;
  std::vector<std::unique_ptr<Worker>> workers;
  uint16_t port = 0;
  std::atomic<bool> draining{false};
  std::mutex wait_mutex;
  std::thread drain_timer;

  const Limits& limits() const { return gateway->config().limits; }

  Task<void> write_reply(beast::tcp_stream& stream, HttpReply reply, bool keep_alive, beast::error_code& ec) {
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    res.set(http::field::server, "occam");
    res.set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) res.set(name, value);
    res.body() = std::move(reply.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    stream.expires_after(limits().write_timeout);
    auto [wec, n] = co_await http::async_write(stream, res, nothrow);
    stream.expires_never();
    ec = wec;
  }

  Task<void> session(Worker& worker, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    Session state;
    state.stream = &stream;
    worker.sessions.insert(&state);
    ++gateway->metrics().connections_open;
    ++gateway->metrics().connections_total;
    struct Leave {
      Worker& worker;
      Session* state;
      Metrics& metrics;
      ~Leave() {
        worker.sessions.erase(state);
        --metrics.connections_open;
      }
    } leave{worker, &state, gateway->metrics()};

    beast::flat_buffer buffer;
    bool linger = false;  // set when the connection ends on an error reply
    while (!worker.draining) {
      state.idle = true;
      if (buffer.size() == 0) {
        stream.expires_after(limits().idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), nothrow);
        if (ec) break;  // closed, idle timeout, or drained
        buffer.commit(n);
      }
      state.idle = false;
      http::request_parser<http::string_body> parser;
      parser.header_limit(kMaxHeaderBytes);
      parser.body_limit(limits().max_body_bytes);
      stream.expires_after(limits().header_timeout);
      auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, nothrow);
      if (hec) {
        if (hec == http::error::body_limit) {  // the announced Content-Length is already too large
          beast::error_code wec;
          linger = true;
          co_await write_reply(stream, gateway->error_reply(413, fmt::format("request body larger than {} bytes",
                                                                             limits().max_body_bytes),
                                                            "invalid_request_error", "body_too_large"), false, wec);
        } else if (hec == http::error::header_limit) {
          beast::error_code wec;
          linger = true;
          co_await write_reply(stream, gateway->error_reply(431, "request headers too large", "invalid_request_error",
                                                             "headers_too_large"), false, wec);
        } else if (hec != beast::error::timeout && hec != http::error::end_of_stream && hec != asio::error::eof &&
                   hec != asio::error::operation_aborted && hec != asio::error::connection_reset) {
          beast::error_code wec;
          linger = true;
          co_await write_reply(stream, gateway->error_reply(400, fmt::format("malformed HTTP request: {}", hec.message()),
                                                             "invalid_request_error", "bad_http"), false, wec);
        }
        break;
      }
      auto& head = parser.get();
      if (parser.content_length() && *parser.content_length() > limits().max_body_bytes) {
        beast::error_code wec;
        linger = true;
        co_await write_reply(stream, gateway->error_reply(413, fmt::format("request body larger than {} bytes",
                                                                           limits().max_body_bytes),
                                                          "invalid_request_error", "body_too_large"), false, wec);
        break;
      }
      if (beast::iequals(head[http::field::expect], "100-continue")) {
        stream.expires_after(limits().write_timeout);
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [cec, cn] = co_await asio::async_write(stream, asio::buffer(kContinue.data(), kContinue.size()), nothrow);
        if (cec) break;
      }
      stream.expires_after(limits().body_timeout);
      auto [bec, bn] = co_await http::async_read(stream, buffer, parser, nothrow);
      if (bec) {
        if (bec == http::error::body_limit) {
          beast::error_code wec;
          linger = true;
          co_await write_reply(stream, gateway->error_reply(413, fmt::format("request body larger than {} bytes",
                                                                             limits().max_body_bytes),
                                                            "invalid_request_error", "body_too_large"), false, wec);
        } else if (bec == beast::error::timeout) {
          beast::error_code wec;
          linger = true;
          co_await write_reply(stream, gateway->error_reply(408, "request body not received in time",
                                                             "invalid_request_error", "request_timeout"), false, wec);
        }
        break;
      }
      stream.expires_never();
      auto& request = parser.get();
      bool keep_alive = request.keep_alive();
      std::string method(request.method_string());
      HttpRequestView view{method, request.target(), request[http::field::authorization], request.body()};
      BeastStreamWriter writer(stream, keep_alive && !worker.draining, limits().write_timeout);
      std::optional<HttpReply> reply = co_await gateway->handle(view, writer);
      keep_alive = keep_alive && !worker.draining;
      if (reply) {
        beast::error_code wec;
        co_await write_reply(stream, std::move(*reply), keep_alive, wec);
        if (wec) break;
      } else if (writer.failed()) {
        break;
      }
      if (!keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (linger) {
      // After an error reply the client may still be sending its body; closing with unread bytes would
      // reset the connection and could destroy the reply before the client reads it. Read a little first.
      stream.expires_after(std::chrono::milliseconds(500));
      char sink[16384];
      std::size_t drained = 0;
      while (drained < (std::size_t{4} << 20)) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), nothrow);
        if (ec) break;
        drained += n;
      }
    }
    stream.close();
  }

  Task<void> accept_loop(Worker& worker) {
    while (true) {
      auto [ec, socket] = co_await worker.acceptor->async_accept(nothrow);
      if (ec) {
        if (!worker.acceptor->is_open() || ec == asio::error::operation_aborted) break;
        // Out of descriptors and the like: back off a little instead of spinning.
        asio::steady_timer pause(worker.ioc, std::chrono::milliseconds(10));
        co_await pause.async_wait(nothrow);
        continue;
      }
      if (gateway->metrics().connections_open.load() >= limits().max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      asio::co_spawn(worker.ioc, session(worker, std::move(socket)), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          spdlog::error("connection ended by an exception: {}", x.what());
        }
      });
    }
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  if (!impl_->workers.empty() && impl_->workers.front()->thread.joinable()) {
    drain();
    wait();
  }
  if (impl_->drain_timer.joinable()) impl_->drain_timer.join();
  // Workflow runs finish (or stay queued in the store) before the io_contexts their answers go to die.
  impl_->gateway->stop_workflows();
  // Order matters: pooled upstream sockets die before their io_contexts; suspended coroutines (only after
  // a forced stop) die with their io_contexts while the gateway they point to is still alive.
  for (auto& worker : impl_->workers) impl_->gateway->close_idle(worker->ioc);
  impl_->workers.clear();
  impl_->gateway.reset();
}

Result<std::unique_ptr<Server>> Server::create(const GatewayConfig& config,
                                               std::shared_ptr<WorkflowEndpoints> workflows) {
  auto impl = std::make_unique<Impl>();
  OCCAM_ASSIGN_OR_RETURN(impl->gateway, Gateway::create(config, std::move(workflows)));
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Gateway& Server::gateway() { return *impl_->gateway; }
uint16_t Server::port() const { return impl_->port; }

Result<uint16_t> Server::start() {
  const GatewayConfig& config = impl_->gateway->config();
  int threads = config.threads > 0 ? config.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  beast::error_code ec;
  auto address = asio::ip::make_address(config.host, ec);
  if (ec) return make_error(ErrorCode::invalid_argument, "server.host: '{}' is not an IP address", config.host);
  uint16_t port = config.port;
  for (int i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->acceptor = std::make_unique<tcp::acceptor>(worker->ioc);
    tcp::endpoint endpoint(address, port);
    worker->acceptor->open(endpoint.protocol(), ec);
    if (!ec) worker->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      if (::setsockopt(worker->acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
        ec = beast::error_code(errno, boost::system::system_category());
      }
    }
    if (!ec) worker->acceptor->bind(endpoint, ec);
    if (!ec) worker->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return make_error(ErrorCode::io, "cannot listen on {}:{}: {}", config.host, port, ec.message());
    }
    port = worker->acceptor->local_endpoint().port();
    impl_->workers.push_back(std::move(worker));
  }
  impl_->port = port;
  for (auto& worker : impl_->workers) {
    Worker& w = *worker;
    asio::co_spawn(w.ioc, impl_->accept_loop(w), asio::detached);
    w.thread = std::thread([&w] { w.ioc.run(); });
  }
  spdlog::info("occam serve: listening on {}:{} with {} threads, {} models", config.host, port, threads,
               config.models.size());
  return port;
}

void Server::drain() {
  if (impl_->draining.exchange(true)) return;
  impl_->gateway->set_draining();
  for (auto& worker : impl_->workers) {
    Worker& w = *worker;
    asio::post(w.ioc, [&w] {
      w.draining = true;
      beast::error_code ignored;
      w.acceptor->close(ignored);
      for (Session* s : w.sessions) {
        if (s->idle) s->stream->cancel();
      }
    });
  }
  // In-flight requests get drain_timeout to finish; then the workers are stopped.
  auto timeout = impl_->limits().drain_timeout;
  impl_->drain_timer = std::thread([this, timeout] {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all_stopped = true;
      for (auto& worker : impl_->workers) all_stopped = all_stopped && worker->ioc.stopped();
      if (all_stopped) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    spdlog::warn("drain: in-flight requests did not finish within {} ms; stopping", timeout.count());
    for (auto& worker : impl_->workers) worker->ioc.stop();
  });
}

void Server::wait() {
  std::lock_guard lock(impl_->wait_mutex);
  for (auto& worker : impl_->workers) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  if (impl_->drain_timer.joinable()) impl_->drain_timer.join();
}

void Server::run_until_signal() {
  asio::io_context signals_context;
  asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  signals.async_wait([this](const beast::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: draining", signal);
    drain();
  });
  signals_context.run();
  wait();
}

}  // namespace occam::server
