// backend: remote — any OpenAI-compatible server (vLLM, llama.cpp server, Ollama, OpenAI, Mistral, another
// occam) over HTTP or HTTPS. Retries with jittered exponential backoff on 429, 5xx and connection failures
// before the first byte; a circuit breaker per upstream; streams pass through chunk by chunk.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>
#include <unordered_map>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "backends/backend.h"
#include "backends/circuit_breaker.h"
#include "backends/http_client.h"
#include "backends/openai_json.h"
#include "backends/sse.h"

namespace occam::backends {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;

struct RemoteSettings {
  std::string base_url;
  std::string upstream_model;
  std::string api_key;  // never logged
  HttpTimeouts timeouts;
  int max_attempts = 3;
  milliseconds backoff_base{100};
  milliseconds backoff_max{2000};
  int breaker_failures = 5;
  milliseconds breaker_open{10000};
  std::size_t max_idle = 64;
  bool verify_tls = true;
  std::string ca_file;
  Capabilities caps;
};

Result<milliseconds> get_ms(const ConfigNode& node, std::string_view key, milliseconds fallback) {
  OCCAM_ASSIGN_OR_RETURN(int64_t v, node.get_int(key, fallback.count(), 0, int64_t{24} * 3600 * 1000));
  return milliseconds(v);
}

Result<RemoteSettings> read_settings(const BackendContext& context) {
  const ConfigNode& s = context.settings;
  RemoteSettings r;
  OCCAM_ASSIGN_OR_RETURN(ConfigNode url, s.require("base_url"));
  OCCAM_ASSIGN_OR_RETURN(r.base_url, url.as_string());
  if (auto endpoint = HttpEndpoint::parse(r.base_url); !endpoint) return url.error("{}", endpoint.error().message());
  OCCAM_ASSIGN_OR_RETURN(r.upstream_model, s.get_string("model", context.model_name));
  OCCAM_ASSIGN_OR_RETURN(r.api_key, s.get_string("api_key", ""));
  OCCAM_ASSIGN_OR_RETURN(std::string key_env, s.get_string("api_key_env", ""));
  if (!key_env.empty()) {
    const char* value = std::getenv(key_env.c_str());
    if (value == nullptr || *value == '\0') {
      return s.child("api_key_env").error("environment variable {} is not set", key_env);
    }
    r.api_key = value;
  }
  ConfigNode timeouts = s.child("timeouts");
  OCCAM_TRY(timeouts.check_keys({"connect_ms", "first_byte_ms", "total_ms"}));
  OCCAM_ASSIGN_OR_RETURN(r.timeouts.connect, get_ms(timeouts, "connect_ms", milliseconds(2000)));
  OCCAM_ASSIGN_OR_RETURN(r.timeouts.first_byte, get_ms(timeouts, "first_byte_ms", milliseconds(60000)));
  OCCAM_ASSIGN_OR_RETURN(r.timeouts.total, get_ms(timeouts, "total_ms", milliseconds(600000)));
  ConfigNode retry = s.child("retry");
  OCCAM_TRY(retry.check_keys({"max_attempts", "backoff_base_ms", "backoff_max_ms"}));
  OCCAM_ASSIGN_OR_RETURN(int64_t attempts, retry.get_int("max_attempts", 3, 1, 20));
  r.max_attempts = static_cast<int>(attempts);
  OCCAM_ASSIGN_OR_RETURN(r.backoff_base, get_ms(retry, "backoff_base_ms", milliseconds(100)));
  OCCAM_ASSIGN_OR_RETURN(r.backoff_max, get_ms(retry, "backoff_max_ms", milliseconds(2000)));
  ConfigNode breaker = s.child("circuit_breaker");
  OCCAM_TRY(breaker.check_keys({"failures", "open_ms"}));
  OCCAM_ASSIGN_OR_RETURN(int64_t failures, breaker.get_int("failures", 5, 0, 1000000));
  r.breaker_failures = static_cast<int>(failures);
  OCCAM_ASSIGN_OR_RETURN(r.breaker_open, get_ms(breaker, "open_ms", milliseconds(10000)));
  OCCAM_ASSIGN_OR_RETURN(int64_t idle, s.get_int("max_idle_connections", 64, 0, 100000));
  r.max_idle = static_cast<std::size_t>(idle);
  ConfigNode tls = s.child("tls");
  OCCAM_TRY(tls.check_keys({"verify", "ca_file"}));
  OCCAM_ASSIGN_OR_RETURN(r.verify_tls, tls.get_bool("verify", true));
  OCCAM_ASSIGN_OR_RETURN(r.ca_file, tls.get_string("ca_file", ""));
  // An OpenAI-compatible upstream is assumed to do everything; `capabilities` narrows it.
  r.caps = Capabilities{.chat = true, .completion = true, .embeddings = true, .streaming = true,
                        .json_schema = true, .json_object = true, .tools = true, .logprobs = true, .max_n = 8};
  ConfigNode caps = s.child("capabilities");
  OCCAM_TRY(caps.check_keys({"chat", "completion", "embeddings", "json_schema", "tools", "logprobs", "max_n"}));
  OCCAM_ASSIGN_OR_RETURN(r.caps.chat, caps.get_bool("chat", true));
  OCCAM_ASSIGN_OR_RETURN(r.caps.completion, caps.get_bool("completion", true));
  OCCAM_ASSIGN_OR_RETURN(r.caps.embeddings, caps.get_bool("embeddings", true));
  OCCAM_ASSIGN_OR_RETURN(r.caps.json_schema, caps.get_bool("json_schema", true));
  OCCAM_ASSIGN_OR_RETURN(r.caps.tools, caps.get_bool("tools", true));
  OCCAM_ASSIGN_OR_RETURN(r.caps.logprobs, caps.get_bool("logprobs", true));
  OCCAM_ASSIGN_OR_RETURN(int64_t max_n, caps.get_int("max_n", 8, 1, 128));
  r.caps.max_n = static_cast<int>(max_n);
  return r;
}

// Models that point at the same upstream share its connection pool and its circuit breaker.
struct Upstream {
  Upstream(HttpEndpoint endpoint, std::size_t max_idle, int failures, milliseconds open_for)
      : client(std::move(endpoint), max_idle), breaker(failures, open_for) {}
  HttpClient client;
  CircuitBreaker breaker;
};

std::shared_ptr<Upstream> shared_upstream(const RemoteSettings& s, HttpEndpoint endpoint) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::weak_ptr<Upstream>> upstreams;
  std::string key = fmt::format("{}|{}|{}", s.base_url, s.verify_tls, s.ca_file);
  std::lock_guard lock(mutex);
  if (auto existing = upstreams[key].lock()) return existing;
  auto created = std::make_shared<Upstream>(std::move(endpoint), s.max_idle, s.breaker_failures, s.breaker_open);
  upstreams[key] = created;
  return created;
}

milliseconds backoff_delay(const RemoteSettings& s, int attempt, const std::string& retry_after) {
  // Full jitter (AWS architecture blog, "Exponential Backoff and Jitter"): uniform in [base·2^k / 2, base·2^k].
  thread_local std::mt19937_64 rng(std::random_device{}());
  int64_t ceiling = std::min<int64_t>(s.backoff_max.count(), s.backoff_base.count() << std::min(attempt, 20));
  std::uniform_int_distribution<int64_t> pick(ceiling / 2, std::max<int64_t>(ceiling, 1));
  int64_t delay = pick(rng);
  if (!retry_after.empty()) {
    char* end = nullptr;
    long seconds = std::strtol(retry_after.c_str(), &end, 10);
    if (end != retry_after.c_str() && seconds >= 0 && seconds * 1000 <= s.backoff_max.count()) {
      delay = std::max<int64_t>(delay, seconds * 1000);
    }
  }
  return milliseconds(delay);
}

// What one attempt saw.
struct Attempt {
  HttpResponseHead head;
  bool got_head = false;
  std::string error_body;
  std::string body;  // non-streamed answer
  bool forwarded = false;  // a delta reached the sink: the attempt can no longer be retried
  bool sink_failed = false;
  bool done_seen = false;
  std::optional<Error> stream_error;
};

class RemoteBackend final : public Backend {
 public:
  RemoteBackend(RemoteSettings settings, std::shared_ptr<Upstream> upstream)
      : s_(std::move(settings)), upstream_(std::move(upstream)) {
    if (!s_.api_key.empty()) headers_.emplace_back("Authorization", "Bearer " + s_.api_key);
  }

  const Capabilities& capabilities() const override { return s_.caps; }

  Task<Result<GenerateResult>> generate(const GenerateRequest& request, const DeltaSink* sink) override {
    bool stream = sink != nullptr;
    std::string body = write_generate_request(request, s_.upstream_model, stream);
    std::string path = request.kind == RequestKind::chat ? "/chat/completions" : "/completions";
    Attempt a;
    DeltaAccumulator accumulator;
    Usage usage;
    auto reset = [&] {
      a = Attempt{};
      accumulator = DeltaAccumulator{};
      usage = Usage{};
    };
    SseReader reader;
    HttpHandlers handlers;
    handlers.on_head = [&](const HttpResponseHead& head) -> Status {
      a.head = head;
      a.got_head = true;
      return ok_status();
    };
    std::vector<Delta> deltas;
    handlers.on_body = [&](std::string_view piece) -> Task<Status> {
      if (a.head.status != 200) {
        if (a.error_body.size() < kMaxErrorBody) a.error_body.append(piece.substr(0, kMaxErrorBody - a.error_body.size()));
        co_return ok_status();
      }
      if (!stream) {
        a.body.append(piece);
        co_return ok_status();
      }
      deltas.clear();
      Status parsed = reader.feed(piece, [&](std::string_view data) -> Status {
        if (a.done_seen) return ok_status();
        if (data == "[DONE]") {
          a.done_seen = true;
          return ok_status();
        }
        return read_generate_chunk(data, request.kind, deltas, &usage);
      });
      for (const Delta& d : deltas) {
        accumulator.add(d);
        a.forwarded = true;
        Status st = co_await (*sink)(d);
        if (!st.ok()) {
          a.sink_failed = true;
          co_return st;
        }
      }
      if (!parsed.ok()) {
        a.stream_error = parsed.error();
        co_return parsed;
      }
      co_return ok_status();
    };

    auto started = std::chrono::steady_clock::now();
    for (int attempt = 0;; ++attempt) {
      reset();
      reader = SseReader{};
      if (!upstream_->breaker.allow()) {
        co_return make_error(ErrorCode::unavailable, "upstream {}: circuit open after repeated failures", s_.base_url);
      }
      HttpTimeouts timeouts = s_.timeouts;
      auto elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
      timeouts.total = std::max(milliseconds(1), s_.timeouts.total - elapsed);
      HttpStage stage = HttpStage::connect;
      Status st = co_await upstream_->client.post(path, body, headers_, timeouts, handlers, &stage);

      bool last = attempt + 1 >= s_.max_attempts;
      if (a.sink_failed) {
        upstream_->breaker.record_success();  // the client left; the upstream was fine
        co_return std::move(st).error();
      }
      if (st.ok() && a.head.status == 200) {
        if (stream) {
          if (!a.done_seen && accumulator.choices().empty()) {
            upstream_->breaker.record_failure();
            co_return make_error(ErrorCode::unavailable, "upstream answer: event stream ended without any chunk");
          }
          upstream_->breaker.record_success();
          GenerateResult result;
          result.choices = accumulator.choices();
          for (Choice& c : result.choices) {
            if (c.finish_reason.empty()) c.finish_reason = "stop";
            result.has_logprobs = result.has_logprobs || !c.logprobs.empty();
          }
          result.usage = usage;
          co_return result;
        }
        auto result = read_generate_result(a.body, request.kind);
        if (!result) {
          upstream_->breaker.record_failure();
          co_return std::move(result).error();
        }
        upstream_->breaker.record_success();
        co_return result;
      }
      if (a.stream_error) {  // garbage in the event stream: not retried
        upstream_->breaker.record_failure();
        co_return *a.stream_error;
      }
      if (st.ok()) {
        // A complete non-200 answer.
        int status = a.head.status;
        std::string message = read_error_message(a.error_body);
        if (status == 429 || status >= 500) {
          if (status >= 500) upstream_->breaker.record_failure();
          else upstream_->breaker.record_success();
          if (!last) {
            co_await sleep(backoff_delay(s_, attempt, a.head.retry_after), started);
            continue;
          }
          co_return make_error(status == 429 ? ErrorCode::resource_exhausted : ErrorCode::unavailable,
                               "upstream {} answered {} after {} attempts: {}", s_.base_url, status, attempt + 1,
                               message);
        }
        upstream_->breaker.record_success();
        if (status == 400 || status == 422) {
          co_return make_error(ErrorCode::invalid_argument, "upstream refused the request: {}", message);
        }
        co_return make_error(ErrorCode::unavailable, "upstream {} answered {}: {}", s_.base_url, status, message);
      }
      // A transport failure.
      upstream_->breaker.record_failure();
      Error error = std::move(st).error();
      bool retryable = error.code() == ErrorCode::unavailable && !a.forwarded;
      if (retryable && !last) {
        spdlog::debug("remote {}: attempt {} failed: {}", request.model, attempt + 1, error.message());
        co_await sleep(backoff_delay(s_, attempt, {}), started);
        continue;
      }
      if (a.forwarded) error.with_context("upstream stream broke off");
      co_return error;
    }
  }

  void close_idle(asio::execution_context& context) override { upstream_->client.close_idle(context); }

  Task<Result<EmbeddingResult>> embed(const EmbeddingRequest& request) override {
    std::string body = write_embedding_request(request, s_.upstream_model);
    auto started = std::chrono::steady_clock::now();
    for (int attempt = 0;; ++attempt) {
      if (!upstream_->breaker.allow()) {
        co_return make_error(ErrorCode::unavailable, "upstream {}: circuit open after repeated failures", s_.base_url);
      }
      HttpResponseHead head;
      std::string answer;
      HttpHandlers handlers;
      handlers.on_head = [&](const HttpResponseHead& h) -> Status {
        head = h;
        return ok_status();
      };
      handlers.on_body = [&](std::string_view piece) -> Task<Status> {
        answer.append(piece);
        co_return ok_status();
      };
      HttpTimeouts timeouts = s_.timeouts;
      auto elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
      timeouts.total = std::max(milliseconds(1), s_.timeouts.total - elapsed);
      HttpStage stage = HttpStage::connect;
      Status st = co_await upstream_->client.post("/embeddings", body, headers_, timeouts, handlers, &stage);
      bool last = attempt + 1 >= s_.max_attempts;
      if (st.ok() && head.status == 200) {
        auto result = read_embedding_result(answer);
        if (result) upstream_->breaker.record_success();
        else upstream_->breaker.record_failure();
        co_return result;
      }
      if (st.ok()) {
        if (head.status == 429 || head.status >= 500) {
          if (head.status >= 500) upstream_->breaker.record_failure();
          else upstream_->breaker.record_success();
          if (!last) {
            co_await sleep(backoff_delay(s_, attempt, head.retry_after), started);
            continue;
          }
          co_return make_error(head.status == 429 ? ErrorCode::resource_exhausted : ErrorCode::unavailable,
                               "upstream {} answered {}: {}", s_.base_url, head.status, read_error_message(answer));
        }
        upstream_->breaker.record_success();
        co_return make_error(head.status == 400 ? ErrorCode::invalid_argument : ErrorCode::unavailable,
                             "upstream answered {}: {}", head.status, read_error_message(answer));
      }
      upstream_->breaker.record_failure();
      Error error = std::move(st).error();
      if (error.code() == ErrorCode::unavailable && !last) {
        co_await sleep(backoff_delay(s_, attempt, {}), started);
        continue;
      }
      co_return error;
    }
  }

 private:
  // Sleeps, but never past the total deadline of the request.
  Task<void> sleep(milliseconds delay, std::chrono::steady_clock::time_point started) {
    auto deadline = started + s_.timeouts.total;
    auto wake = std::min(deadline, std::chrono::steady_clock::now() + delay);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_at(wake);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  RemoteSettings s_;
  std::shared_ptr<Upstream> upstream_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

Result<std::unique_ptr<Backend>> make_remote(const BackendContext& context) {
  OCCAM_ASSIGN_OR_RETURN(RemoteSettings settings, read_settings(context));
  OCCAM_ASSIGN_OR_RETURN(HttpEndpoint endpoint, HttpEndpoint::parse(settings.base_url));
  endpoint.verify_tls = settings.verify_tls;
  endpoint.ca_file = settings.ca_file;
  auto upstream = shared_upstream(settings, std::move(endpoint));
  return std::unique_ptr<Backend>(std::make_unique<RemoteBackend>(std::move(settings), std::move(upstream)));
}

}  // namespace

OCCAM_REGISTER_BACKEND(remote, make_remote, "base_url", "model", "api_key", "api_key_env", "timeouts", "retry",
                       "circuit_breaker", "max_idle_connections", "tls", "capabilities");

}  // namespace occam::backends
