// The upstream client over HTTPS (OpenSSL): a TLS server on 127.0.0.1 with a certificate made for the
// test (openssl CLI, SAN IP:127.0.0.1) is trusted through `ca_file`, refused without it, accepted with
// verification off; a missing CA file is reported by name.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>

#include "backends/http_client.h"
#include "test_support.h"

namespace occam::backends {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

// A TLS server answering every POST with {"path": <target>, "body": <request body>} on its own thread.
class TlsServer {
 public:
  TlsServer(const std::string& cert, const std::string& key)
      : tls_(asio::ssl::context::tls_server), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    tls_.use_certificate_chain_file(cert);
    tls_.use_private_key_file(key, asio::ssl::context::pem);
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TlsServer() {
    io_.stop();
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  int answered() const { return answered_; }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
      accept();
    });
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::ssl_stream<tcp::socket> stream(std::move(socket), tls_);
    auto nothrow = asio::as_tuple(asio::use_awaitable);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, nothrow);
    if (hec) co_return;
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      auto [rec, n] = co_await http::async_read(stream, buffer, request, nothrow);
      if (rec) co_return;
      http::response<http::string_body> response{http::status::ok, 11};
      response.set(http::field::content_type, "application/json");
      response.body() =
          R"({"path":")" + std::string(request.target()) + R"(","body":)" + request.body() + "}";
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      ++answered_;
      auto [wec, m] = co_await http::async_write(stream, response, nothrow);
      if (wec) co_return;
    }
  }

  asio::io_context io_;
  asio::ssl::context tls_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> answered_{0};
};

class HttpClientTls : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = (dir_.path() / "cert.pem").string();
    key_ = (dir_.path() / "key.pem").string();
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=occam-test -addext "
        "subjectAltName=IP:127.0.0.1 -keyout " +
        key_ + " -out " + cert_ + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << "openssl (Debian package openssl) is needed: " << command;
    server_ = std::make_unique<TlsServer>(cert_, key_);
  }

  // POSTs {"x": 1} to /v1/ping through a fresh client; the body received, or the error.
  Result<std::string> post(bool verify, const std::string& ca_file) {
    auto endpoint = HttpEndpoint::parse("https://127.0.0.1:" + std::to_string(server_->port()) + "/v1");
    EXPECT_TRUE(endpoint.ok());
    endpoint->verify_tls = verify;
    endpoint->ca_file = ca_file;
    HttpClient client(*endpoint, 4);
    std::string body;
    HttpHandlers handlers;
    handlers.on_head = [](const HttpResponseHead& head) -> Status {
      if (head.status != 200) return make_error(ErrorCode::internal, "status {}", head.status);
      return ok_status();
    };
    handlers.on_body = [&body](std::string_view piece) -> Task<Status> {
      body += piece;
      co_return ok_status();
    };
    Status status = make_error(ErrorCode::internal, "not run");
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> Task<void> {
          status = co_await client.post("/ping", R"({"x":1})", {}, HttpTimeouts{}, handlers, nullptr);
          client.close_idle(io);
        },
        asio::detached);
    io.run();
    if (!status.ok()) return std::move(status).error();
    return body;
  }

  testing::TempDir dir_;
  std::string cert_, key_;
  std::unique_ptr<TlsServer> server_;
};

TEST_F(HttpClientTls, TrustedThroughCaFile) {
  auto body = post(true, cert_);
  ASSERT_TRUE(body.ok()) << body.error().message();
  EXPECT_EQ(*body, R"({"path":"/v1/ping","body":{"x":1}})");
  EXPECT_EQ(server_->answered(), 1);
}

TEST_F(HttpClientTls, UntrustedCertificateIsRefusedBeforeAnyRequest) {
  auto body = post(true, "");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().code(), ErrorCode::unavailable);
  EXPECT_NE(body.error().message().find("TLS handshake"), std::string::npos) << body.error().message();
  EXPECT_EQ(server_->answered(), 0);
}

TEST_F(HttpClientTls, VerificationOffAcceptsAnyCertificate) {
  auto body = post(false, "");
  ASSERT_TRUE(body.ok()) << body.error().message();
  EXPECT_EQ(server_->answered(), 1);
}

TEST_F(HttpClientTls, MissingCaFileIsNamed) {
  const std::string missing = (dir_.path() / "nope.pem").string();
  auto body = post(true, missing);
  ASSERT_FALSE(body.ok());
  EXPECT_NE(body.error().message().find(missing), std::string::npos) << body.error().message();
  EXPECT_EQ(server_->answered(), 0);
}

}  // namespace
}  // namespace occam::backends
