// A small OpenAI-compatible upstream for tests, on 127.0.0.1 with a free port. Its behaviour is picked
// by the request's `model`:
//   echo              answers "echo: <last message>" (streams it word by word when asked to stream)
//   slow-stream       like echo, 20 ms between chunks
//   json / badjson    content {"answer":"yes","score":3} / "not json"
//   tool              calls get_weather({"city":"Paris"}) when tools are given
//   stall             never answers
//   slow-first-byte   answers echo after 300 ms
//   garbage           200 with a body that is not JSON
//   close-mid-stream  streams two chunks, then drops the connection
//   flaky             500 on the first request, then echo
//   always-500, always-429
// Embeddings answer [len(input), 0.5, -0.5] per input.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace occam::testing {

class FakeUpstream {
 public:
  explicit FakeUpstream(int threads = 1);
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

  int requests(const std::string& model) const;
  int64_t connections_accepted() const { return connections_.load(); }
  std::string last_body() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::atomic<int64_t> connections_{0};
};

// A port on 127.0.0.1 with nothing listening (bound then closed).
uint16_t refused_port();

}  // namespace occam::testing
