// The gateway's request handling, independent of the HTTP library: routes, authentication, parsing,
// admission (concurrency limit and queue), dispatch to backends with fallback, answer validation
// (response_format, tool calls), metrics and the OpenAI error shape. http_server.cpp feeds it requests.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/backend.h"
#include "server/gateway_config.h"
#include "server/metrics.h"

namespace occam::server {

using backends::Task;

struct HttpRequestView {
  std::string_view method;
  std::string_view target;         // path and query
  std::string_view authorization;  // the Authorization header, or empty
  std::string_view body;
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Implemented by the HTTP layer for streamed (SSE) answers.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Sends the head (status 200, text/event-stream, chunked) with extra headers.
  virtual Task<Status> begin(const std::vector<std::pair<std::string, std::string>>& headers) = 0;
  virtual Task<Status> write(std::string_view bytes) = 0;
  virtual Task<Status> end() = 0;
};

class AdmissionGate;
class WorkflowEndpoints;

class Gateway {
 public:
  // `workflows` (optional) answers /v1/workflows/...; without it those paths are 404.
  static Result<std::unique_ptr<Gateway>> create(const GatewayConfig& config,
                                                 std::shared_ptr<WorkflowEndpoints> workflows = nullptr);
  ~Gateway();

  // The reply, or nullopt when the answer was streamed through `writer`.
  Task<std::optional<HttpReply>> handle(const HttpRequestView& request, StreamWriter& writer);

  // An error reply in the OpenAI shape, counted in the metrics (used by the HTTP layer for 413, 408...).
  HttpReply error_reply(int status, std::string_view message, std::string_view type, std::string_view code,
                        std::string_view param = {});

  // See Backend::close_idle.
  void close_idle(boost::asio::execution_context& context) {
    for (Model& m : models_) m.backend->close_idle(context);
  }

  // Stops the workflow runs' threads (before the I/O contexts their answers would be posted to go away).
  void stop_workflows();

  Metrics& metrics() { return metrics_; }
  void set_draining() { draining_ = true; }
  const GatewayConfig& config() const { return config_; }

 private:
  struct Model {
    std::string name;
    std::string fallback;
    std::string owned_by;
    Price price;
    std::unique_ptr<backends::Backend> backend;
  };

  explicit Gateway(GatewayConfig config);
  const Model* find_model(std::string_view name) const;
  // Empty when allowed; the key's name otherwise unused. Returns nullopt for ok, or an error reply.
  std::optional<HttpReply> authorize(std::string_view authorization, const ApiKey** key) const;
  bool key_allows(const ApiKey* key, std::string_view model) const;

  Task<std::optional<HttpReply>> handle_generate(const HttpRequestView& request, StreamWriter& writer,
                                                 backends::RequestKind kind, const ApiKey* key,
                                                 std::chrono::steady_clock::time_point started);
  Task<HttpReply> handle_embeddings(const HttpRequestView& request, const ApiKey* key,
                                    std::chrono::steady_clock::time_point started);
  Task<HttpReply> handle_classify(const HttpRequestView& request, const ApiKey* key,
                                  std::chrono::steady_clock::time_point started);
  Task<HttpReply> handle_workflows(const HttpRequestView& request, std::string_view path, const ApiKey* key,
                                   std::chrono::steady_clock::time_point started);
  HttpReply handle_models(const ApiKey* key, std::string_view one) const;
  HttpReply error_for(const Error& error, std::string_view model);
  // The 404 for an unknown model or one the key may not use (the same answer, so keys cannot probe names).
  HttpReply model_not_found(std::string_view name);
  // Adds the x-occam-overhead-ms header (time not spent in backends) and records the request's metrics.
  HttpReply finish_reply(HttpReply reply, std::string_view endpoint, std::string_view label,
                         std::chrono::steady_clock::time_point started, double backend_seconds);

  GatewayConfig config_;
  std::vector<Model> models_;
  Metrics metrics_;
  std::unique_ptr<AdmissionGate> gate_;
  std::shared_ptr<WorkflowEndpoints> workflows_;
  std::atomic<bool> draining_{false};
};

// Status code and OpenAI error type for an error code.
std::pair<int, std::string_view> http_status_for(ErrorCode code);

}  // namespace occam::server
