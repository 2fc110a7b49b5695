#include "backends/backend.h"

namespace occam::backends {

std::map<std::string, BackendKind, std::less<>>& backend_registry() {
  static std::map<std::string, BackendKind, std::less<>> registry;
  return registry;
}

Result<std::unique_ptr<Backend>> make_backend(std::string_view kind, const BackendContext& context) {
  auto& registry = backend_registry();
  auto it = registry.find(kind);
  if (it == registry.end()) {
    std::string known;
    for (const auto& [name, entry] : registry) known += fmt::format("{}{}", known.empty() ? "" : ", ", name);
    return context.settings.child("backend").error("unknown backend '{}' (known: {})", kind, known);
  }
  return it->second.factory(context);
}

}  // namespace occam::backends
