// A small HTTP/1.1 client for upstream servers (plain TCP or TLS via OpenSSL) with a pool of kept-alive
// connections per I/O thread, and the three timeouts a gateway needs: connect, first byte (until the
// response head arrives), total. The body is handed over in pieces as it arrives.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/backend.h"

namespace occam::backends {

struct HttpEndpoint {
  bool tls = false;
  std::string host;
  std::string port;       // "80", "443", ...
  std::string base_path;  // "/v1" (no trailing slash)
  bool verify_tls = true;
  std::string ca_file;    // extra CA bundle (PEM); empty for the system store

  // "https://api.mistral.ai/v1" -> {tls, api.mistral.ai, 443, /v1}
  static Result<HttpEndpoint> parse(std::string_view url);
};

struct HttpTimeouts {
  std::chrono::milliseconds connect{2000};
  std::chrono::milliseconds first_byte{30000};
  std::chrono::milliseconds total{300000};
};

struct HttpResponseHead {
  int status = 0;
  std::string content_type;
  std::string retry_after;
};

// Called once with the head, then with each body piece in order. An error aborts the exchange (and the
// connection is not reused).
struct HttpHandlers {
  std::function<Status(const HttpResponseHead&)> on_head;
  std::function<Task<Status>(std::string_view piece)> on_body;
};

// Where a failed exchange stopped; decides whether a retry is safe.
enum class HttpStage {
  connect,   // no connection: nothing was sent
  send,      // the request may be partly sent, no response byte came back
  head,      // sent, the response head never (fully) came back
  body,      // the head came and on_head accepted it; the body broke off
  handler,   // a handler returned an error
};

class HttpClient {
 public:
  HttpClient(HttpEndpoint endpoint, std::size_t max_idle_per_thread);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const HttpEndpoint& endpoint() const { return endpoint_; }

  // POSTs `body` (application/json) to base_path + path. Ok once the whole response was read.
  // The error's code is timeout when a deadline passed, unavailable for network failures.
  Task<Result<void>> post(std::string_view path, std::string body,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const HttpTimeouts& timeouts, const HttpHandlers& handlers, HttpStage* failed_stage);

  // Connections currently idle in the pools (for tests: kept-alive reuse and no leaks).
  std::size_t idle_connections() const;
  // Closes the idle connections that belong to `context` (before that context is destroyed).
  void close_idle(boost::asio::execution_context& context);

 private:
  struct Impl;
  HttpEndpoint endpoint_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace occam::backends
