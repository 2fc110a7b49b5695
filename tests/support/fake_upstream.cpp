#include "fake_upstream.h"

#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace occam::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

struct FakeUpstream::Impl {
  template <typename T>
  using Task = asio::awaitable<T>;

  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  mutable std::mutex mutex;
  std::map<std::string, int> counts;
  std::string last_body;
  std::atomic<int64_t>* connections = nullptr;

  int bump(const std::string& model, const std::string& body) {
    std::lock_guard lock(mutex);
    last_body = body;
    return ++counts[model];
  }

  static std::string last_user_text(const json::object& req) {
    if (const json::value* p = req.if_contains("prompt"); p && p->is_string()) return std::string(p->get_string());
    const json::value* m = req.if_contains("messages");
    if (m == nullptr || !m->is_array() || m->get_array().empty()) return "";
    const json::value& last = m->get_array().back();
    if (!last.is_object()) return "";
    const json::value* c = last.get_object().if_contains("content");
    return (c && c->is_string()) ? std::string(c->get_string()) : "";
  }

  static json::object completion(const std::string& model, const std::string& content, bool chat, bool tool) {
    json::object choice{{"index", 0}, {"finish_reason", tool ? "tool_calls" : "stop"}, {"logprobs", nullptr}};
    if (chat) {
      json::object msg{{"role", "assistant"}, {"content", tool ? json::value(nullptr) : json::value(content)}};
      if (tool) {
        msg["tool_calls"] = json::array{json::object{
            {"id", "call_1"}, {"type", "function"},
            {"function", json::object{{"name", "get_weather"}, {"arguments", R"({"city":"Paris"})"}}}}};
      }
      choice["message"] = std::move(msg);
    } else {
      choice["text"] = content;
    }
    return json::object{{"id", "up-1"}, {"object", chat ? "chat.completion" : "text_completion"}, {"created", 1700000000},
                        {"model", model}, {"choices", json::array{std::move(choice)}},
                        {"usage", json::object{{"prompt_tokens", 7}, {"completion_tokens", 3}, {"total_tokens", 10}}}};
  }

  static std::string chunk(const std::string& content, bool chat, const char* finish) {
    json::object choice{{"index", 0}};
    if (chat) choice["delta"] = json::object{{"content", content}};
    else choice["text"] = content;
    choice["finish_reason"] = finish ? json::value(finish) : json::value(nullptr);
    json::object o{{"id", "up-1"}, {"object", "chat.completion.chunk"}, {"created", 1700000000},
                   {"model", "m"}, {"choices", json::array{std::move(choice)}}};
    return "data: " + json::serialize(o) + "\n\n";
  }

  Task<bool> reply(beast::tcp_stream& stream, int status, std::string body, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    auto [ec, n] = co_await http::async_write(stream, res, nothrow);
    co_return !ec;
  }

  Task<void> pause(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(nothrow);
  }

  // Returns false when the connection must close.
  Task<bool> handle(beast::tcp_stream& stream, http::request<http::string_body>& req) {
    std::string target(req.target());
    boost::system::error_code ec;
    json::value parsed = json::parse(req.body(), ec);
    if (ec || !parsed.is_object()) co_return co_await reply(stream, 400, std::string(R"({"error":{"message":"bad json"}})"), true);
    json::object& body = parsed.get_object();
    std::string model = body.contains("model") && body["model"].is_string() ? std::string(body["model"].get_string()) : "";
    int n = bump(model, req.body());
    bool keep = req.keep_alive();
    if (target.ends_with("/embeddings")) {
      json::array data;
      const json::value& input = body["input"];
      std::size_t i = 0;
      for (const json::value& s : input.get_array()) {
        double len = s.is_string() ? static_cast<double>(s.get_string().size()) : 0;
        data.push_back(json::object{{"object", "embedding"}, {"index", i++}, {"embedding", json::array{len, 0.5, -0.5}}});
      }
      // (Built before the co_await: GCC 12 cannot keep an initializer list alive across a suspension.)
      json::object answer;
      answer["object"] = "list";
      answer["data"] = std::move(data);
      answer["model"] = model;
      answer["usage"] = json::object{{"prompt_tokens", 4}, {"total_tokens", 4}};
      std::string text = json::serialize(answer);
      co_return co_await reply(stream, 200, std::move(text), keep);
    }
    bool chat = target.ends_with("/chat/completions");
    bool stream_mode = body.contains("stream") && body["stream"].is_bool() && body["stream"].get_bool();
    if (model == "stall") {
      co_await pause(std::chrono::seconds(30));
      co_return false;
    }
    if (model == "garbage") co_return co_await reply(stream, 200, std::string("<<< this is not json >>>"), keep);
    if (model == "always-500" || (model == "flaky" && n == 1)) {
      co_return co_await reply(stream, 500, std::string(R"({"error":{"message":"internal upstream failure"}})"), keep);
    }
    if (model == "always-429") co_return co_await reply(stream, 429, std::string(R"({"error":{"message":"slow down"}})"), keep);
    if (model == "slow-first-byte") co_await pause(std::chrono::milliseconds(300));
    std::string text = "echo: " + last_user_text(body);
    if (model == "json") text = R"({"answer":"yes","score":3})";
    if (model == "badjson") text = "not json";
    bool tool = model == "tool" && body.contains("tools");
    if (!stream_mode) co_return co_await reply(stream, 200, json::serialize(completion(model, text, chat, tool)), keep);

    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "text/event-stream");
    res.keep_alive(keep);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    auto [hec, hn] = co_await http::async_write_header(stream, sr, nothrow);
    if (hec) co_return false;
    std::vector<std::string> pieces;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find(' ', start);
      end = end == std::string::npos ? text.size() : end + 1;
      pieces.push_back(text.substr(start, end - start));
      start = end;
    }
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      if (model == "close-mid-stream" && i == 2) {
        stream.socket().close();
        co_return false;
      }
      std::string frame = chunk(pieces[i], chat, nullptr);
      auto [ec2, n2] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(frame)), nothrow);
      if (ec2) co_return false;
      if (model == "slow-stream") co_await pause(std::chrono::milliseconds(20));
    }
    std::string tail = chunk("", chat, "stop");
    tail += "data: " + json::serialize(json::object{{"id", "up-1"}, {"choices", json::array()},
        {"usage", json::object{{"prompt_tokens", 7}, {"completion_tokens", static_cast<int64_t>(pieces.size())}}}}) + "\n\n";
    tail += "data: [DONE]\n\n";
    auto [ec3, n3] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(tail)), nothrow);
    if (ec3) co_return false;
    auto [ec4, n4] = co_await asio::async_write(stream, http::make_chunk_last(), nothrow);
    co_return !ec4 && keep;
  }

  Task<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    while (true) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(stream, buffer, req, nothrow);
      if (ec) break;
      if (!co_await handle(stream, req)) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  Task<void> accept_loop() {
    while (true) {
      auto [ec, socket] = co_await acceptor.async_accept(nothrow);
      if (ec) break;
      ++*connections;
      asio::co_spawn(ioc, session(std::move(socket)), asio::detached);
    }
  }
};

FakeUpstream::FakeUpstream(int threads) : impl_(std::make_unique<Impl>()) {
  impl_->connections = &connections_;
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(4096);
  port_ = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), asio::detached);
  for (int i = 0; i < threads; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

FakeUpstream::~FakeUpstream() {
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
}

int FakeUpstream::requests(const std::string& model) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->counts.find(model);
  return it == impl_->counts.end() ? 0 : it->second;
}

std::string FakeUpstream::last_body() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_body;
}

uint16_t refused_port() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

}  // namespace occam::testing
