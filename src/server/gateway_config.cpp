#include "server/gateway_config.h"

#include <cstdlib>
#include <set>
#include <thread>

#include "backends/backend.h"

namespace occam::server {

namespace {

using std::chrono::milliseconds;

Result<milliseconds> get_ms(const ConfigNode& node, std::string_view key, milliseconds fallback) {
  OCCAM_ASSIGN_OR_RETURN(int64_t v, node.get_int(key, fallback.count(), 1, int64_t{24} * 3600 * 1000));
  return milliseconds(v);
}

Status read_limits(const ConfigNode& node, Limits& limits) {
  OCCAM_TRY(node.check_keys({"max_body_bytes", "header_timeout_ms", "body_timeout_ms", "idle_timeout_ms",
                             "write_timeout_ms", "drain_timeout_ms", "max_concurrency", "max_queue",
                             "max_connections"}));
  OCCAM_ASSIGN_OR_RETURN(int64_t body, node.get_int("max_body_bytes", static_cast<int64_t>(limits.max_body_bytes),
                                                    64, int64_t{1} << 32));
  limits.max_body_bytes = static_cast<std::size_t>(body);
  OCCAM_ASSIGN_OR_RETURN(limits.header_timeout, get_ms(node, "header_timeout_ms", limits.header_timeout));
  OCCAM_ASSIGN_OR_RETURN(limits.body_timeout, get_ms(node, "body_timeout_ms", limits.body_timeout));
  OCCAM_ASSIGN_OR_RETURN(limits.idle_timeout, get_ms(node, "idle_timeout_ms", limits.idle_timeout));
  OCCAM_ASSIGN_OR_RETURN(limits.write_timeout, get_ms(node, "write_timeout_ms", limits.write_timeout));
  OCCAM_ASSIGN_OR_RETURN(limits.drain_timeout, get_ms(node, "drain_timeout_ms", limits.drain_timeout));
  OCCAM_ASSIGN_OR_RETURN(int64_t concurrency, node.get_int("max_concurrency", limits.max_concurrency, 1, 1000000));
  limits.max_concurrency = static_cast<int>(concurrency);
  OCCAM_ASSIGN_OR_RETURN(int64_t queue, node.get_int("max_queue", limits.max_queue, 0, 10000000));
  limits.max_queue = static_cast<int>(queue);
  OCCAM_ASSIGN_OR_RETURN(int64_t connections, node.get_int("max_connections", limits.max_connections, 1, 10000000));
  limits.max_connections = static_cast<int>(connections);
  return ok_status();
}

}  // namespace

Result<GatewayConfig> read_gateway_config(const ConfigNode& root) {
  GatewayConfig config;
  if (!root.is_map()) return root.error("expected a map with 'models' (and optionally 'server', 'api_keys')");
  // routes and workflows belong to other components; they are accepted here and read elsewhere.
  OCCAM_TRY(root.check_keys({"server", "models", "api_keys", "routes", "workflows"}));

  ConfigNode server = root.child("server");
  OCCAM_TRY(server.check_keys({"host", "port", "threads", "workflow_threads", "limits"}));
  OCCAM_ASSIGN_OR_RETURN(config.host, server.get_string("host", config.host));
  OCCAM_ASSIGN_OR_RETURN(int64_t port, server.get_int("port", config.port, 0, 65535));
  config.port = static_cast<uint16_t>(port);
  OCCAM_ASSIGN_OR_RETURN(int64_t threads, server.get_int("threads", 0, 0, 1024));
  config.threads = static_cast<int>(threads);
  OCCAM_ASSIGN_OR_RETURN(int64_t workflow_threads, server.get_int("workflow_threads", config.workflow_threads, 1, 256));
  config.workflow_threads = static_cast<int>(workflow_threads);
  OCCAM_TRY(read_limits(server.child("limits"), config.limits));

  OCCAM_ASSIGN_OR_RETURN(ConfigNode models, root.require("models"));
  OCCAM_ASSIGN_OR_RETURN(auto entries, models.entries());
  for (const auto& [name, node] : entries) {
    if (!node.is_map()) return node.error("expected a map with at least 'backend'");
    ModelConfig model;
    model.name = name;
    model.settings = node;
    OCCAM_ASSIGN_OR_RETURN(ConfigNode backend, node.require("backend"));
    OCCAM_ASSIGN_OR_RETURN(model.backend, backend.as_string());
    auto& registry = backends::backend_registry();
    auto kind = registry.find(model.backend);
    if (kind == registry.end()) {
      std::string known;
      for (const auto& [k, v] : registry) known += fmt::format("{}{}", known.empty() ? "" : ", ", k);
      return backend.error("unknown backend '{}' (known: {})", model.backend, known);
    }
    std::vector<std::string_view> allowed = {"backend", "fallback", "price", "owned_by", "description"};
    for (const std::string& key : kind->second.settings_keys) allowed.push_back(key);
    OCCAM_TRY(node.check_keys(allowed));
    OCCAM_ASSIGN_OR_RETURN(model.fallback, node.get_string("fallback", ""));
    OCCAM_ASSIGN_OR_RETURN(model.owned_by, node.get_string("owned_by", "occam"));
    ConfigNode price = node.child("price");
    OCCAM_TRY(price.check_keys({"input_per_mtok", "output_per_mtok"}));
    OCCAM_ASSIGN_OR_RETURN(model.price.input_per_mtok, price.get_double("input_per_mtok", 0));
    OCCAM_ASSIGN_OR_RETURN(model.price.output_per_mtok, price.get_double("output_per_mtok", 0));
    if (model.price.input_per_mtok < 0 || model.price.output_per_mtok < 0) return price.error("prices cannot be negative");
    config.models.push_back(std::move(model));
  }
  if (config.models.empty()) return models.error("at least one model is needed");
  for (const ModelConfig& model : config.models) {
    if (model.fallback.empty()) continue;
    bool found = false;
    for (const ModelConfig& other : config.models) found = found || other.name == model.fallback;
    if (!found || model.fallback == model.name) {
      return model.settings.child("fallback").error("fallback '{}' is not another configured model", model.fallback);
    }
  }

  OCCAM_ASSIGN_OR_RETURN(auto keys, root.child("api_keys").items());
  std::set<std::string> seen;
  for (const ConfigNode& node : keys) {
    if (!node.is_map()) return node.error("expected a map with 'key' or 'key_env' and 'models'");
    OCCAM_TRY(node.check_keys({"name", "key", "key_env", "models"}));
    ApiKey key;
    OCCAM_ASSIGN_OR_RETURN(key.name, node.get_string("name", fmt::format("key{}", config.api_keys.size())));
    OCCAM_ASSIGN_OR_RETURN(key.key, node.get_string("key", ""));
    OCCAM_ASSIGN_OR_RETURN(std::string env, node.get_string("key_env", ""));
    if (!env.empty()) {
      if (!key.key.empty()) return node.error("give either 'key' or 'key_env', not both");
      const char* value = std::getenv(env.c_str());
      if (value == nullptr || *value == '\0') return node.child("key_env").error("environment variable {} is not set", env);
      key.key = value;
    }
    if (key.key.empty()) return node.error("missing 'key' or 'key_env'");
    if (!seen.insert(key.key).second) return node.error("the same key is listed twice");
    ConfigNode models_node = node.child("models");
    if (!models_node.present()) {
      key.models = {"*"};
    } else {
      OCCAM_ASSIGN_OR_RETURN(key.models, models_node.as_string_list());
      for (const std::string& m : key.models) {
        if (m == "*") continue;
        bool found = false;
        for (const ModelConfig& model : config.models) found = found || model.name == m;
        if (!found) return models_node.error("unknown model '{}'", m);
      }
    }
    config.api_keys.push_back(std::move(key));
  }
  return config;
}

Result<GatewayConfig> load_gateway_config(const std::filesystem::path& path) {
  OCCAM_ASSIGN_OR_RETURN(ConfigNode root, ConfigNode::load_file(path));
  return read_gateway_config(root);
}

}  // namespace occam::server
