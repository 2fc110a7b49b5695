// A scripted HTTP/1.1 server on 127.0.0.1 (free port) for tests: every request goes to a handler
// (path, lower-cased head, body) -> (status, JSON body). Blocking sockets, one thread per connection,
// keep-alive. Serves as a fake OpenAI-compatible upstream (with chat_answer) and as a recording tool server.
#pragma once

#include <atomic>
#include <cctype>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <boost/json.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace occam::testing {

struct FakeRequest {
  std::string path;
  std::string head;  // lower-cased request line and headers
  std::string body;
  std::string header(std::string_view name) const {  // a header's value, "" when absent
    std::string key = "\r\n" + std::string(name) + ":";
    size_t at = head.find(key);
    if (at == std::string::npos) return {};
    size_t start = at + key.size();
    size_t end = head.find("\r\n", start);
    std::string v = head.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!v.empty() && v.front() == ' ') v.erase(v.begin());
    return v;
  }
};

using FakeHandler = std::function<std::pair<int, std::string>(const FakeRequest&)>;

class HttpFake {
 public:
  explicit HttpFake(FakeHandler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 256);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~HttpFake() {
    stop_ = true;
    acceptor_.join();
    std::vector<std::thread> connections;
    {
      std::lock_guard lock(mutex_);
      connections.swap(connections_);
    }
    for (auto& t : connections) t.join();
    ::close(listen_fd_);
  }
  HttpFake(const HttpFake&) = delete;
  HttpFake& operator=(const HttpFake&) = delete;

  int port() const { return port_; }
  std::string url(std::string_view path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      std::lock_guard lock(mutex_);
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }

  bool read_more(int fd, std::string& buffer) {
    char chunk[16384];
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, 20);
      if (r == 0) continue;
      if (r < 0) return false;
      ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(n));
      return true;
    }
    return false;
  }

  void serve(int fd) {
    std::string buffer;
    while (!stop_) {
      size_t head_end;
      bool open = true;
      while (open && (head_end = buffer.find("\r\n\r\n")) == std::string::npos) open = read_more(fd, buffer);
      if (!open) break;
      FakeRequest request;
      request.head = buffer.substr(0, head_end + 2);
      for (char& c : request.head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t sp = buffer.find(' ');
      request.path = buffer.substr(sp + 1, buffer.find(' ', sp + 1) - sp - 1);
      size_t length = 0;
      if (size_t at = request.head.find("content-length:"); at != std::string::npos) {
        length = std::stoul(request.head.substr(at + 15));
      }
      while (open && buffer.size() < head_end + 4 + length) open = read_more(fd, buffer);
      if (!open) break;
      request.body = buffer.substr(head_end + 4, length);
      buffer.erase(0, head_end + 4 + length);
      auto [status, payload] = handler_(request);
      std::string reply =
          "HTTP/1.1 " + std::to_string(status) + (status < 300 ? " OK" : " Error") +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(payload.size()) +
          "\r\n\r\n" + payload;
      size_t sent = 0;
      while (sent < reply.size()) {
        ssize_t n = ::send(fd, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
    }
    ::close(fd);
  }

  FakeHandler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;
};

// A chat.completion answer with text and optional tool calls ([name, arguments JSON] pairs).
inline std::string chat_answer(const std::string& text,
                               const std::vector<std::pair<std::string, std::string>>& calls = {},
                               int prompt_tokens = 20, int completion_tokens = 10) {
  namespace json = boost::json;
  json::object message{{"role", "assistant"}, {"content", text}};
  if (!calls.empty()) {
    json::array tool_calls;
    for (size_t i = 0; i < calls.size(); ++i) {
      tool_calls.push_back(
          json::object{{"id", "call_" + std::to_string(i)},
                       {"type", "function"},
                       {"function", {{"name", calls[i].first}, {"arguments", calls[i].second}}}});
    }
    message["tool_calls"] = std::move(tool_calls);
  }
  json::object choice{{"index", 0},
                      {"message", std::move(message)},
                      {"finish_reason", calls.empty() ? "stop" : "tool_calls"}};
  json::object answer{{"id", "chatcmpl-fake"},
                      {"object", "chat.completion"},
                      {"created", 0},
                      {"model", "fake"},
                      {"choices", json::array{std::move(choice)}},
                      {"usage",
                       {{"prompt_tokens", prompt_tokens},
                        {"completion_tokens", completion_tokens},
                        {"total_tokens", prompt_tokens + completion_tokens}}}};
  return json::serialize(answer);
}

// The last message's content of a chat request ("" when there is none or it is not a string).
inline std::string last_content(const boost::json::object& request) {
  const auto* messages = request.if_contains("messages");
  if (!messages || !messages->is_array() || messages->as_array().empty()) return "";
  const auto* last = messages->as_array().back().if_object();
  const auto* content = last ? last->if_contains("content") : nullptr;
  return content && content->is_string() ? std::string(content->as_string()) : "";
}

// A fake OpenAI-compatible upstream that records every request body and answers
// "Reçu : " + the last message's content, so that what the upstream saw comes back in the answer.
class EchoUpstream {
 public:
  EchoUpstream() : server_([this](const FakeRequest& r) { return answer(r); }) {}
  int port() const { return server_.port(); }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  std::pair<int, std::string> answer(const FakeRequest& r) {
    {
      std::lock_guard lock(mutex_);
      bodies_.push_back(r.body);
    }
    boost::system::error_code ec;
    boost::json::value request = boost::json::parse(r.body, ec);
    if (ec || !request.is_object()) return {400, R"({"error":{"message":"not JSON"}})"};
    return {200, chat_answer("Reçu : " + last_content(request.as_object()))};
  }

  std::mutex mutex_;
  std::vector<std::string> bodies_;
  HttpFake server_;  // last: stopped before the members its handler uses
};

}  // namespace occam::testing
