// `occam serve`: the OpenAI-compatible HTTP/1.1 gateway. N worker threads, each with its own Asio
// io_context and its own SO_REUSEPORT acceptor on the same port (the kernel spreads connections), so a
// request never changes thread and nothing on the hot path is shared but the metrics.
#pragma once

#include <cstdint>
#include <memory>

#include "core/error.h"
#include "server/gateway.h"
#include "server/gateway_config.h"

namespace occam::server {

class Server {
 public:
  // Builds the models' backends; fails on a backend that cannot be created (bad settings, missing key).
  // `workflows` (WorkflowEndpoints::load) serves /v1/workflows/...; null: none configured.
  static Result<std::unique_ptr<Server>> create(const GatewayConfig& config,
                                                std::shared_ptr<WorkflowEndpoints> workflows = nullptr);
  ~Server();

  // Binds host:port (port 0 picks a free one) and starts the worker threads. Returns the bound port.
  Result<uint16_t> start();

  // Graceful drain: stop accepting, let in-flight requests finish (at most limits.drain_timeout), close idle
  // kept-alive connections. Returns immediately; wait() returns once everything has stopped.
  void drain();
  void wait();

  // Blocks until SIGINT or SIGTERM, then drains and waits.
  void run_until_signal();

  Gateway& gateway();
  uint16_t port() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace occam::server
