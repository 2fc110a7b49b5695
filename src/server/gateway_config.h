// The schema of occam.yaml as far as the gateway reads it: server (listen address, threads, limits),
// models (name -> backend and its settings, fallback, price) and API keys. docs/gateway.md documents it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"

namespace occam::server {

struct Limits {
  std::size_t max_body_bytes = std::size_t{4} << 20;
  std::chrono::milliseconds header_timeout{10000};  // from the first byte of a request to the end of its head
  std::chrono::milliseconds body_timeout{30000};    // reading the body
  std::chrono::milliseconds idle_timeout{60000};    // a kept-alive connection waiting for its next request
  std::chrono::milliseconds write_timeout{30000};   // each write to a client
  std::chrono::milliseconds drain_timeout{30000};   // SIGTERM: longest wait for in-flight requests
  int max_concurrency = 256;  // requests being answered by backends at once
  int max_queue = 1024;       // requests waiting for a slot; beyond that: 429
  int max_connections = 10000;
};

struct Price {
  double input_per_mtok = 0;
  double output_per_mtok = 0;
};

struct ModelConfig {
  std::string name;
  std::string backend;
  std::string fallback;  // another model's name, tried when this one is down (empty: none)
  std::string owned_by;
  Price price;
  ConfigNode settings;  // the whole map, for the backend's factory
};

struct ApiKey {
  std::string name;   // for logs and metrics; the key itself is never logged
  std::string key;
  std::vector<std::string> models;  // "*" allows every model
};

struct GatewayConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 0;  // 0: one per hardware thread
  int workflow_threads = 2;  // workflow runs executed at once (POST /v1/workflows/{name}/runs)
  Limits limits;
  std::vector<ModelConfig> models;
  std::vector<ApiKey> api_keys;  // empty: no authentication
};

// Validates the whole document: unknown keys, types, ranges, unknown backends, fallbacks that name no model.
// Errors name file:line:col and the key path.
Result<GatewayConfig> read_gateway_config(const ConfigNode& root);
Result<GatewayConfig> load_gateway_config(const std::filesystem::path& path);

}  // namespace occam::server
