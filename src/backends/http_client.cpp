#include "backends/http_client.h"

#include <array>
#include <mutex>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

namespace occam::backends {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxResponseBody = std::size_t{256} << 20;

struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  // Body pieces land here; kept per connection rather than in the coroutine frame, whose size decides
  // whether Asio can recycle it (a 16 KiB frame went to malloc on every request).
  std::array<char, 16384> piece;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

Error network_error(const beast::error_code& ec, std::string_view what, const HttpEndpoint& endpoint) {
  ErrorCode code = (ec == beast::error::timeout || ec == asio::error::timed_out) ? ErrorCode::timeout
                                                                                 : ErrorCode::unavailable;
  return make_error(code, "upstream {}:{}: {}: {}", endpoint.host, endpoint.port, what,
                    ec == beast::error::timeout ? std::string("timed out") : ec.message());
}

}  // namespace

Result<HttpEndpoint> HttpEndpoint::parse(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed)
    return make_error(ErrorCode::invalid_argument, "invalid URL '{}': {}", url, parsed.error().message());
  HttpEndpoint e;
  std::string scheme(parsed->scheme());
  if (scheme == "https") {
    e.tls = true;
  } else if (scheme != "http") {
    return make_error(ErrorCode::invalid_argument, "URL '{}': scheme must be http or https", url);
  }
  e.host = std::string(parsed->host());
  if (e.host.empty()) return make_error(ErrorCode::invalid_argument, "URL '{}' has no host", url);
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']')
    e.host = e.host.substr(1, e.host.size() - 2);
  e.port = parsed->has_port() ? std::string(parsed->port()) : (e.tls ? "443" : "80");
  e.base_path = std::string(parsed->encoded_path());
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  return e;
}

struct HttpClient::Impl {
  explicit Impl(std::size_t max_idle) : max_idle(max_idle), ssl(asio::ssl::context::tls_client) {}

  std::size_t max_idle;
  asio::ssl::context ssl;
  std::string setup_error;  // a TLS set-up failure, returned by every post()
  mutable std::mutex mutex;
  // Idle connections per I/O context: a socket belongs to the context that created it.
  std::unordered_map<asio::execution_context*, std::vector<std::unique_ptr<Connection>>> idle;

  std::unique_ptr<Connection> take(asio::execution_context* context) {
    std::lock_guard lock(mutex);
    auto it = idle.find(context);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    return conn;
  }

  void give_back(asio::execution_context* context, std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mutex);
    auto& list = idle[context];
    if (list.size() < max_idle) list.push_back(std::move(conn));
  }
};

HttpClient::HttpClient(HttpEndpoint endpoint, std::size_t max_idle_per_thread)
    : endpoint_(std::move(endpoint)), impl_(std::make_unique<Impl>(max_idle_per_thread)) {
  if (endpoint_.tls) {
    boost::system::error_code ec;
    impl_->ssl.set_default_verify_paths(ec);
    if (!endpoint_.ca_file.empty() && impl_->ssl.load_verify_file(endpoint_.ca_file, ec)) {
      // Reported by every post(): a typo in `tls.ca_file` must not look like an untrusted upstream.
      impl_->setup_error = fmt::format("TLS CA file '{}': {}", endpoint_.ca_file, ec.message());
    }
    impl_->ssl.set_verify_mode(endpoint_.verify_tls ? asio::ssl::verify_peer : asio::ssl::verify_none);
  }
}

HttpClient::~HttpClient() = default;

std::size_t HttpClient::idle_connections() const {
  std::lock_guard lock(impl_->mutex);
  std::size_t n = 0;
  for (const auto& [context, list] : impl_->idle) n += list.size();
  return n;
}

void HttpClient::close_idle(asio::execution_context& context) {
  std::vector<std::unique_ptr<Connection>> closing;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->idle.find(&context);
    if (it == impl_->idle.end()) return;
    closing = std::move(it->second);
    impl_->idle.erase(it);
  }
}

namespace {

// One exchange on an open connection. Returns the stage reached on failure.
template <typename Stream>
Task<Status> exchange(Stream& stream, Connection& conn, const HttpEndpoint& endpoint,
                      http::request<http::string_body>& request, const HttpTimeouts& timeouts,
                      std::chrono::steady_clock::time_point deadline, const HttpHandlers& handlers,
                      HttpStage& stage, bool& reusable) {
  auto first_byte_deadline = std::min(deadline, std::chrono::steady_clock::now() + timeouts.first_byte);
  conn.lowest().expires_at(first_byte_deadline);
  stage = HttpStage::send;
  auto [wec, written] = co_await http::async_write(stream, request, nothrow);
  if (wec) co_return network_error(wec, "sending the request", endpoint);

  stage = HttpStage::head;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(kMaxResponseBody);
  auto [hec, hn] = co_await http::async_read_header(stream, conn.buffer, parser, nothrow);
  if (hec) co_return network_error(hec, "reading the response head", endpoint);

  HttpResponseHead head;
  head.status = static_cast<int>(parser.get().result_int());
  if (auto it = parser.get().find(http::field::content_type); it != parser.get().end()) {
    head.content_type = std::string(it->value());
  }
  if (auto it = parser.get().find(http::field::retry_after); it != parser.get().end()) {
    head.retry_after = std::string(it->value());
  }
  stage = HttpStage::handler;
  if (handlers.on_head) OCCAM_CO_TRY(handlers.on_head(head));

  conn.lowest().expires_at(deadline);
  char* piece = conn.piece.data();
  while (!parser.is_done()) {
    parser.get().body().data = piece;
    parser.get().body().size = conn.piece.size();
    stage = HttpStage::body;
    auto [rec, rn] = co_await http::async_read(stream, conn.buffer, parser, nothrow);
    if (rec == http::error::need_buffer) rec = {};
    // Hand over what arrived even when the connection broke right after it.
    std::size_t got = conn.piece.size() - parser.get().body().size;
    if (got > 0 && handlers.on_body) {
      stage = HttpStage::handler;
      OCCAM_CO_TRY(co_await handlers.on_body(std::string_view(piece, got)));
    }
    if (rec) {
      stage = HttpStage::body;
      co_return network_error(rec, "reading the response body", endpoint);
    }
  }
  reusable = parser.get().keep_alive();
  co_return ok_status();
}

}  // namespace

Task<Status> HttpClient::post(std::string_view path, std::string body,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const HttpTimeouts& timeouts, const HttpHandlers& handlers,
                              HttpStage* failed_stage) {
  auto executor = co_await asio::this_coro::executor;
  asio::execution_context* context = &asio::query(executor, asio::execution::context);
  auto deadline = std::chrono::steady_clock::now() + timeouts.total;

  http::request<http::string_body> request{http::verb::post, endpoint_.base_path + std::string(path), 11};
  request.set(http::field::host, endpoint_.host);
  request.set(http::field::user_agent, "occam/0.1");
  request.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.keep_alive(true);
  request.body() = std::move(body);
  request.prepare_payload();

  HttpStage stage = HttpStage::connect;
  if (!impl_->setup_error.empty()) {
    if (failed_stage) *failed_stage = stage;
    co_return make_error(ErrorCode::invalid_argument, "upstream {}: {}", endpoint_.host, impl_->setup_error);
  }
  // A pooled connection may have been closed by the server while idle; when it fails before any response
  // byte, the request is replayed once on a fresh connection (nothing reached the application).
  for (int round = 0; round < 2; ++round) {
    std::unique_ptr<Connection> conn = round == 0 ? impl_->take(context) : nullptr;
    bool reused = conn != nullptr;
    if (!conn) {
      stage = HttpStage::connect;
      conn = std::make_unique<Connection>();
      tcp::resolver resolver(executor);
      auto [rec, results] = co_await resolver.async_resolve(endpoint_.host, endpoint_.port, nothrow);
      if (rec) {
        if (failed_stage) *failed_stage = stage;
        co_return network_error(rec, "resolving", endpoint_);
      }
      if (endpoint_.tls) {
        conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, impl_->ssl);
      } else {
        conn->plain = std::make_unique<beast::tcp_stream>(executor);
      }
      conn->lowest().expires_at(std::min(deadline, std::chrono::steady_clock::now() + timeouts.connect));
      auto [cec, ep] = co_await conn->lowest().async_connect(results, nothrow);
      if (cec) {
        if (failed_stage) *failed_stage = stage;
        co_return network_error(cec, "connecting", endpoint_);
      }
      conn->lowest().socket().set_option(tcp::no_delay(true));
      if (conn->tls) {
        if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), endpoint_.host.c_str())) {
          if (failed_stage) *failed_stage = stage;
          co_return make_error(ErrorCode::unavailable, "upstream {}: cannot set TLS server name",
                               endpoint_.host);
        }
        if (endpoint_.verify_tls)
          conn->tls->set_verify_callback(asio::ssl::host_name_verification(endpoint_.host));
        auto [sec] = co_await conn->tls->async_handshake(asio::ssl::stream_base::client, nothrow);
        if (sec) {
          if (failed_stage) *failed_stage = stage;
          co_return network_error(sec, "TLS handshake", endpoint_);
        }
      }
    }
    bool reusable = false;
    // (No co_await inside ?: — GCC 12 miscompiles suspensions in conditional operands.)
    Status st = ok_status();
    if (conn->tls) {
      st = co_await exchange(*conn->tls, *conn, endpoint_, request, timeouts, deadline, handlers, stage,
                             reusable);
    } else {
      st = co_await exchange(*conn->plain, *conn, endpoint_, request, timeouts, deadline, handlers, stage,
                             reusable);
    }
    if (st.ok()) {
      conn->lowest().expires_never();
      if (reusable) impl_->give_back(context, std::move(conn));
      co_return st;
    }
    bool stale = reused && (stage == HttpStage::send || stage == HttpStage::head) &&
                 st.error().code() == ErrorCode::unavailable;
    if (!stale) {
      if (failed_stage) *failed_stage = stage;
      co_return st;
    }
  }
  if (failed_stage) *failed_stage = stage;
  co_return make_error(ErrorCode::unavailable, "upstream {}:{}: connection lost", endpoint_.host,
                       endpoint_.port);
}

}  // namespace occam::backends
