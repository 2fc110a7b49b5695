// A scripted HTTP/1.1 server on 127.0.0.1 (free port) for workflow tests: every request goes to a handler
// (path, lower-cased head, body) -> (status, JSON body). Blocking sockets, one thread per connection,
// keep-alive. Serves as the fake OpenAI-compatible upstream and as the recording tool server.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace occam::workflow::testing {

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
      std::string reply = "HTTP/1.1 " + std::to_string(status) + (status < 300 ? " OK" : " Error") +
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
inline std::string chat_answer(const std::string& text, const std::vector<std::pair<std::string, std::string>>& calls = {},
                               int prompt_tokens = 20, int completion_tokens = 10) {
  std::string tool_calls;
  for (size_t i = 0; i < calls.size(); ++i) {
    std::string args;
    for (char c : calls[i].second) {
      if (c == '"' || c == '\\') args += '\\';
      args += c;
    }
    tool_calls += (i ? "," : "") + std::string(R"({"id":"call_)") + std::to_string(i) +
                  R"(","type":"function","function":{"name":")" + calls[i].first + R"(","arguments":")" + args + R"("}})";
  }
  std::string escaped;
  for (char c : text) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (c == '\n') { escaped += "\\n"; continue; }
    escaped += c;
  }
  std::string message = R"({"role":"assistant","content":")" + escaped + "\"" +
                        (calls.empty() ? "" : ",\"tool_calls\":[" + tool_calls + "]") + "}";
  return R"({"id":"chatcmpl-fake","object":"chat.completion","created":0,"model":"fake","choices":[{"index":0,"message":)" +
         message + R"(,"finish_reason":")" + (calls.empty() ? "stop" : "tool_calls") +
         R"("}],"usage":{"prompt_tokens":)" + std::to_string(prompt_tokens) +
         ",\"completion_tokens\":" + std::to_string(completion_tokens) + ",\"total_tokens\":" +
         std::to_string(prompt_tokens + completion_tokens) + "}}";
}

}  // namespace occam::workflow::testing
