// The router as the gateway sees it: a backend of kind `router`, so that a route is a model name.
//
//   models:
//     auto: {backend: router, config: occam.yaml, route: auto, request_log: occam-requests.db}
//
// The backend reads `routes:` and `models:` of `config` (usually the same file), builds its own instances
// of the tier backends it names (a `router` model is never a tier of another), and runs the route.
// The decision trace goes to the request log and onto the result (`occam`, `occam_route_header`), which
// the gateway turns into the answer's `occam` field and `x-occam-route` header.
#include <boost/asio/execution_context.hpp>

#include "router/router.h"
#include "router/trace.h"
#include "store/request_log.h"

namespace occam::router {
namespace {

class RouterBackend final : public backends::Backend {
 public:
  static Result<std::unique_ptr<backends::Backend>> make(const backends::BackendContext& context) {
    const ConfigNode& s = context.settings;
    auto self = std::make_unique<RouterBackend>();
    OCCAM_ASSIGN_OR_RETURN(ConfigNode config_node, s.require("config"));
    OCCAM_ASSIGN_OR_RETURN(std::string config_path, config_node.as_string());
    OCCAM_ASSIGN_OR_RETURN(self->route_, s.get_string("route", context.model_name));
    OCCAM_ASSIGN_OR_RETURN(std::string log_path, s.get_string("request_log", ""));
    auto root = ConfigNode::load_file(config_path);
    if (!root.ok()) return config_node.error("{}", root.error().message());
    std::map<std::string, backends::Backend*> tiers;
    ConfigNode models = root->child("models");
    if (models.present()) {
      OCCAM_ASSIGN_OR_RETURN(auto entries, models.entries());
      for (auto& [name, node] : entries) {
        OCCAM_ASSIGN_OR_RETURN(std::string kind, node.get_string("backend", ""));
        if (kind == "router" || kind.empty()) continue;
        auto backend = backends::make_backend(kind, backends::BackendContext{name, node});
        if (!backend.ok())
          return std::move(backend).error().with_context(fmt::format("router tier '{}'", name));
        tiers[name] = backend->get();
        self->owned_.push_back(std::move(backend).value());
      }
    }
    auto router = Router::create(*root, tiers, std::filesystem::path(config_path).parent_path());
    if (!router.ok()) return std::move(router).error();
    self->router_ = std::move(router).value();
    if (!self->router_->has_route(self->route_)) {
      return s.error("no route '{}' under routes: in '{}'", self->route_, config_path);
    }
    if (!log_path.empty()) {
      auto log = store::RequestLog::open(log_path);
      if (!log.ok()) return s.child("request_log").error("{}", log.error().message());
      self->log_ = std::move(log).value();
      self->router_->set_request_log(self->log_.get());
    }
    self->caps_.chat = self->caps_.completion = self->caps_.streaming = true;
    for (const auto& b : self->owned_) {
      const backends::Capabilities& c = b->capabilities();
      self->caps_.json_schema = self->caps_.json_schema || c.json_schema;
      self->caps_.json_object = self->caps_.json_object || c.json_object;
      self->caps_.tools = self->caps_.tools || c.tools;
      self->caps_.logprobs = self->caps_.logprobs || c.logprobs;
      self->caps_.max_n = std::max(self->caps_.max_n, c.max_n);
    }
    return std::unique_ptr<backends::Backend>(std::move(self));
  }

  const backends::Capabilities& capabilities() const override { return caps_; }

  backends::Task<Result<backends::GenerateResult>> generate(const backends::GenerateRequest& request,
                                                            const backends::DeltaSink* sink) override {
    auto answer = co_await router_->generate(route_, request, sink);
    if (!answer.ok()) co_return std::move(answer).error();
    backends::GenerateResult result = std::move(answer->result);
    result.occam = trace_to_json(answer->trace);
    result.occam_route_header = trace_header(answer->trace);
    co_return result;
  }

  backends::Task<Result<backends::EmbeddingResult>> embed(const backends::EmbeddingRequest&) override {
    co_return make_error(ErrorCode::unsupported, "route '{}' does not serve embeddings", route_);
  }

  void close_idle(boost::asio::execution_context& context) override {
    for (auto& b : owned_) b->close_idle(context);
  }

  ~RouterBackend() override {
    if (log_) (void)log_->flush();
  }

 private:
  std::string route_;
  std::vector<std::unique_ptr<backends::Backend>> owned_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<store::RequestLog> log_;
  backends::Capabilities caps_;
};

}  // namespace

OCCAM_REGISTER_BACKEND(router, RouterBackend::make, "config", "route", "request_log");

}  // namespace occam::router
