#include "workflow/models.h"

#include "workflow/run_sync.h"

namespace occam::workflow {

Result<std::unique_ptr<Models>> Models::load(const ConfigNode& root, const std::filesystem::path& base_dir) {
  auto models = std::make_unique<Models>();
  ConfigNode section = root.child("models");
  if (section.present()) {
    OCCAM_ASSIGN_OR_RETURN(auto entries, section.entries());
    for (const auto& [name, node] : entries) {
      if (!node.is_map()) return node.error("expected a map with at least 'backend'");
      OCCAM_ASSIGN_OR_RETURN(ConfigNode kind, node.require("backend"));
      OCCAM_ASSIGN_OR_RETURN(std::string backend, kind.as_string());
      OCCAM_ASSIGN_OR_RETURN(auto made, backends::make_backend(backend, backends::BackendContext{name, node}));
      ConfigNode price = node.child("price");
      Price p;
      OCCAM_ASSIGN_OR_RETURN(p.input_per_mtok, price.get_double("input_per_mtok", 0));
      OCCAM_ASSIGN_OR_RETURN(p.output_per_mtok, price.get_double("output_per_mtok", 0));
      models->prices_[name] = p;
      models->backends_[name] = std::move(made);
    }
  }
  if (root.child("routes").present()) {
    std::map<std::string, backends::Backend*> raw;
    for (const auto& [name, backend] : models->backends_) raw[name] = backend.get();
    OCCAM_ASSIGN_OR_RETURN(models->router_, router::Router::create(root, raw, base_dir));
  }
  return models;
}

bool Models::knows(std::string_view route) const {
  return backends_.contains(route) || (router_ && router_->has_route(route));
}

Result<ModelAnswer> Models::call(const std::string& route, const backends::GenerateRequest& request,
                                 boost::asio::io_context& io) const {
  ModelAnswer answer;
  if (router_ && router_->has_route(route)) {
    OCCAM_ASSIGN_OR_RETURN(router::RouteAnswer routed, run_sync(io, router_->generate(route, request, nullptr)));
    answer.result = std::move(routed.result);
    answer.tier = routed.trace.answered_by;
    answer.cost = routed.trace.cost;
    answer.tokens = routed.trace.prompt_tokens + routed.trace.completion_tokens;
    return answer;
  }
  auto it = backends_.find(route);
  if (it == backends_.end()) return make_error(ErrorCode::not_found, "no route or model named '{}'", route);
  backends::GenerateRequest pinned = request;
  pinned.model = route;
  OCCAM_ASSIGN_OR_RETURN(answer.result, run_sync(io, it->second->generate(pinned, nullptr)));
  answer.tier = route;
  const Price& p = prices_.at(route);
  answer.tokens = answer.result.usage.prompt_tokens + answer.result.usage.completion_tokens;
  answer.cost = (static_cast<double>(answer.result.usage.prompt_tokens) * p.input_per_mtok +
                 static_cast<double>(answer.result.usage.completion_tokens) * p.output_per_mtok) / 1e6;
  return answer;
}

void Models::close_idle(boost::asio::io_context& io) const {
  for (const auto& [name, backend] : backends_) backend->close_idle(io);
}

}  // namespace occam::workflow
