// occam serve --config occam.yaml [--host H] [--port P]
// occam serve -m MODEL.gguf [--host H] [--port P]      (zero-config: one embedded model)
#include <filesystem>

#include <spdlog/spdlog.h>

#include "backends/backend.h"
#include "cli/command.h"
#include "server/server.h"
#include "server/workflow_endpoints.h"

namespace occam::cli {

namespace {

struct ServeOptions {
  std::string config;
  std::string model;
  std::string host;
  int port = -1;
  int threads = -1;
};

Result<server::GatewayConfig> make_config(const ServeOptions& o) {
  server::GatewayConfig config;
  if (!o.config.empty()) {
    OCCAM_ASSIGN_OR_RETURN(config, server::load_gateway_config(o.config));
  } else {
    if (backends::backend_registry().count("engine") == 0) {
      return make_error(ErrorCode::unsupported, "-m needs the embedded engine backend, which this build does not have; "
                                                "use --config with a remote model");
    }
    std::string name = std::filesystem::path(o.model).stem().string();
    // Quoted YAML scalars so that any path or name survives.
    auto quote = [](const std::string& s) {
      std::string out = "\"";
      for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      return out + "\"";
    };
    std::string yaml = fmt::format("models:\n  {}:\n    backend: engine\n    path: {}\n", quote(name), quote(o.model));
    OCCAM_ASSIGN_OR_RETURN(ConfigNode root, ConfigNode::parse(yaml, "<-m " + o.model + ">"));
    OCCAM_ASSIGN_OR_RETURN(config, server::read_gateway_config(root));
  }
  if (!o.host.empty()) config.host = o.host;
  if (o.port >= 0) config.port = static_cast<uint16_t>(o.port);
  if (o.threads >= 0) config.threads = o.threads;
  return config;
}

CommandRun setup_serve(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  auto* config = app.add_option("-c,--config", options->config, "occam.yaml (models, API keys, limits)");
  auto* model = app.add_option("-m,--model", options->model, "serve one GGUF model with the embedded engine");
  config->excludes(model);
  model->excludes(config);
  app.add_option("--host", options->host, "address to listen on (default from config, else 127.0.0.1)");
  app.add_option("--port", options->port, "port to listen on (0 picks a free one)")->check(CLI::Range(0, 65535));
  app.add_option("--threads", options->threads, "I/O threads (0: one per hardware thread)")->check(CLI::Range(0, 1024));
  return [options]() -> int {
    if (options->config.empty() && options->model.empty()) {
      fmt::print(stderr, "occam serve: give --config occam.yaml or -m MODEL.gguf\n");
      return kExitUsage;
    }
    auto config = make_config(*options);
    if (!config) {
      fmt::print(stderr, "occam serve: {}\n", config.error().message());
      return kExitFailure;
    }
    std::shared_ptr<server::WorkflowEndpoints> workflows;
    if (!options->config.empty()) {
      auto loaded = server::WorkflowEndpoints::load(options->config, config->workflow_threads, config->limits.max_queue);
      if (!loaded) {
        fmt::print(stderr, "occam serve: {}\n", loaded.error().message());
        return kExitFailure;
      }
      workflows = std::move(*loaded);
    }
    auto server = server::Server::create(*config, std::move(workflows));
    if (!server) {
      fmt::print(stderr, "occam serve: {}\n", server.error().message());
      return kExitFailure;
    }
    auto port = (*server)->start();
    if (!port) {
      fmt::print(stderr, "occam serve: {}\n", port.error().message());
      return kExitFailure;
    }
    // The bound port on stdout (useful with --port 0); logs go to stderr.
    fmt::print("listening on {}:{}\n", config->host, *port);
    std::fflush(stdout);
    (*server)->run_until_signal();
    return kExitOk;
  };
}

}  // namespace

OCCAM_REGISTER_COMMAND(serve, "Serve the OpenAI-compatible gateway (chat, completions, embeddings, classify, "
                       "workflows, metrics)",
                       setup_serve);

}  // namespace occam::cli
