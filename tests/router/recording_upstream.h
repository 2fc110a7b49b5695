// A fake OpenAI-compatible upstream on 127.0.0.1 (free port) for router tests: records every request body
// and answers /v1/chat/completions non-streamed with "Reçu : " + the last message's content, so that what
// the upstream saw comes back in the answer. Blocking sockets, one thread per connection, keep-alive.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace occam::router::testing {

class RecordingUpstream {
 public:
  RecordingUpstream() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~RecordingUpstream() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : connections_) t.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      std::lock_guard lock(mutex_);
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string buffer;
    char chunk[16384];
    while (!stop_) {
      size_t head_end;
      while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (stop_) break;
        if (::poll(&p, 1, 50) <= 0) continue;
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) {
          ::close(fd);
          return;
        }
        buffer.append(chunk, static_cast<size_t>(n));
      }
      if (stop_) break;
      std::string head = buffer.substr(0, head_end);
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t length = 0;
      if (size_t at = head.find("content-length:"); at != std::string::npos)
        length = std::stoul(head.substr(at + 15));
      while (buffer.size() < head_end + 4 + length) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) {
          ::close(fd);
          return;
        }
        buffer.append(chunk, static_cast<size_t>(n));
      }
      std::string body = buffer.substr(head_end + 4, length);
      buffer.erase(0, head_end + 4 + length);
      {
        std::lock_guard lock(mutex_);
        bodies_.push_back(body);
      }
      std::string content;
      boost::system::error_code ec;
      auto request = boost::json::parse(body, ec);
      if (!ec && request.is_object()) {
        const auto* messages = request.as_object().if_contains("messages");
        if (messages && messages->is_array() && !messages->as_array().empty()) {
          const auto& last = messages->as_array().back();
          if (last.is_object() && last.as_object().contains("content") &&
              last.as_object().at("content").is_string())
            content = std::string(last.as_object().at("content").as_string());
        }
      }
      boost::json::object answer = {
          {"id", "chatcmpl-fake"},
          {"object", "chat.completion"},
          {"created", 0},
          {"model", "fake"},
          {"choices", boost::json::array{boost::json::object{
                          {"index", 0},
                          {"message", {{"role", "assistant"}, {"content", "Reçu : " + content}}},
                          {"finish_reason", "stop"}}}},
          {"usage", {{"prompt_tokens", 20}, {"completion_tokens", 10}, {"total_tokens", 30}}}};
      std::string payload = boost::json::serialize(answer);
      std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(payload.size()) + "\r\n\r\n" + payload;
      size_t sent = 0;
      while (sent < reply.size()) {
        ssize_t n = ::write(fd, reply.data() + sent, reply.size() - sent);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
    }
    ::close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;
  std::vector<std::string> bodies_;
};

}  // namespace occam::router::testing
