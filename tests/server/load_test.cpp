// 1,000 concurrent streaming clients on loopback through occam to the fake upstream: every stream must be
// complete and correct, and every connection must be closed afterwards (none leaked).
#include <atomic>
#include <chrono>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "core/config.h"
#include "fake_upstream.h"
#include "server/server.h"
#include "test_client.h"

namespace occam::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> stream_client(uint16_t port, int i, std::atomic<int>& ok, std::atomic<int>& failed) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(std::chrono::seconds(20));
  auto [cec] = co_await stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), nothrow);
  if (cec) {
    ++failed;
    co_return;
  }
  http::request<http::string_body> req{http::verb::post, "/v1/chat/completions", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  req.body() = fmt::format(R"({{"model":"echo","stream":true,"messages":[{{"role":"user","content":"client {} says hi"}}]}})", i);
  req.prepare_payload();
  req.keep_alive(false);
  auto [wec, wn] = co_await http::async_write(stream, req, nothrow);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  auto [rec, rn] = co_await http::async_read(stream, buffer, res, nothrow);
  if (wec || (rec && rec != http::error::end_of_stream) || res.result_int() != 200) {
    ++failed;
    co_return;
  }
  auto events = sse_events(res.body());
  bool good = !events.empty() && events.back() == "[DONE]" &&
              res.body().find(fmt::format("\"content\":\"{} \"", i)) != std::string::npos;
  (good ? ok : failed)++;
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

TEST(GatewayLoad, ThousandConcurrentStreamingClients) {
  constexpr int kClients = 1000;
  FakeUpstream upstream(2);
  auto root = ConfigNode::parse(fmt::format(
      "server: {{threads: 2, limits: {{max_concurrency: 2000}}}}\nmodels:\n  echo:\n    backend: remote\n"
      "    base_url: {}\n    timeouts: {{connect_ms: 5000, first_byte_ms: 10000, total_ms: 20000}}\n",
      upstream.base_url()));
  ASSERT_TRUE(root.ok());
  auto config = server::read_gateway_config(*root);
  ASSERT_TRUE(config.ok()) << config.error().message();
  config->port = 0;
  auto server = server::Server::create(*config);
  ASSERT_TRUE(server.ok());
  auto port = (*server)->start();
  ASSERT_TRUE(port.ok());

  auto t0 = std::chrono::steady_clock::now();
  asio::io_context ioc;
  std::atomic<int> ok{0}, failed{0};
  // Two client threads; each client on its own strand (its stream's timer and socket must not race).
  for (int i = 0; i < kClients; ++i) {
    asio::co_spawn(asio::make_strand(ioc), stream_client(*port, i, ok, failed), asio::detached);
  }
  std::thread second([&] { ioc.run(); });
  ioc.run();
  second.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_LT(seconds, 30.0);
  std::printf("%d streaming clients in %.2f s\n", kClients, seconds);

  // Every client connection is closed once its answer is done (the server sees the close).
  auto& metrics = (*server)->gateway().metrics();
  for (int i = 0; i < 200 && metrics.connections_open.load() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(metrics.connections_open.load(), 0);
  EXPECT_EQ(metrics.requests_in_flight.load(), 0);
  EXPECT_EQ(metrics.connections_total.load(), kClients);
}

}  // namespace
}  // namespace occam::testing
