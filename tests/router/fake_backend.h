// An in-process backend for router tests: records every request it receives and answers with a function
// of the request (or fails on demand).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "backends/backend.h"

namespace occam::router::testing {

struct FakeAnswer {
  std::string text;
  std::vector<double> logprobs;  // one per token; empty: no logprobs
  int64_t prompt_tokens = 10;
  int64_t completion_tokens = 5;
  bool fail = false;
};

class FakeBackend final : public backends::Backend {
 public:
  explicit FakeBackend(std::function<FakeAnswer(const backends::GenerateRequest&)> answer)
      : answer_(std::move(answer)) {
    caps_.logprobs = true;
    caps_.json_object = caps_.json_schema = true;
  }
  const backends::Capabilities& capabilities() const override { return caps_; }

  backends::Task<Result<backends::GenerateResult>> generate(const backends::GenerateRequest& request,
                                                            const backends::DeltaSink* sink) override {
    {
      std::lock_guard lock(mutex_);
      requests.push_back(request);
    }
    FakeAnswer a = answer_(request);
    if (a.fail) co_return make_error(ErrorCode::unavailable, "fake upstream down");
    backends::GenerateResult r;
    r.id = "fake";
    backends::Choice c;
    c.text = a.text;
    c.finish_reason = "stop";
    if (request.logprobs) {
      for (double lp : a.logprobs) c.logprobs.push_back({"t", lp, {}});
      r.has_logprobs = !a.logprobs.empty();
    }
    r.choices.push_back(c);
    r.usage = {a.prompt_tokens, a.completion_tokens};
    if (sink) {
      // Stream in 3-byte pieces so that placeholders are split across chunks.
      for (size_t i = 0; i < a.text.size(); i += 3) {
        backends::Delta d;
        d.content = a.text.substr(i, 3);
        if (i == 0) d.role = "assistant";
        Status s = co_await (*sink)(d);
        if (!s.ok()) co_return std::move(s).error();
      }
      backends::Delta end;
      end.finish_reason = "stop";
      Status s = co_await (*sink)(end);
      if (!s.ok()) co_return std::move(s).error();
    }
    co_return r;
  }

  backends::Task<Result<backends::EmbeddingResult>> embed(const backends::EmbeddingRequest&) override {
    co_return make_error(ErrorCode::unsupported, "no embeddings");
  }

  std::vector<backends::GenerateRequest> requests;

 private:
  std::function<FakeAnswer(const backends::GenerateRequest&)> answer_;
  backends::Capabilities caps_;
  std::mutex mutex_;
};

// Runs a coroutine to completion on a private io_context.
// (Result<T> has no default constructor, so the value goes through an optional.)
template <typename T>
T run(backends::Task<T> task) {
  // One I/O context for the whole test process: upstream connections pooled by a backend belong to it, so it
  // must outlive every backend (a local context would be gone when the backend closes its idle sockets).
  static auto* shared_io = new boost::asio::io_context;  // never destroyed, on purpose
  boost::asio::io_context& io = *shared_io;
  io.restart();
  std::optional<T> out;
  auto wrapper = [](backends::Task<T> t, std::optional<T>& o) -> backends::Task<void> {
    o.emplace(co_await std::move(t));
  };
  boost::asio::co_spawn(io, wrapper(std::move(task), out), boost::asio::detached);
  io.run();
  return std::move(*out);
}

inline backends::GenerateRequest chat(std::string text) {
  backends::GenerateRequest r;
  r.model = "auto";
  r.messages.push_back({"user", std::move(text), false, "", "", {}});
  return r;
}

}  // namespace occam::router::testing
