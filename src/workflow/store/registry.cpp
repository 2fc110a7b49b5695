#include "workflow/store/run_store.h"

namespace occam::workflow {

std::map<std::string, RunStoreFactory, std::less<>>& run_store_registry() {
  static std::map<std::string, RunStoreFactory, std::less<>> registry;
  return registry;
}

Result<std::unique_ptr<RunStore>> make_run_store(const RunStoreSettings& settings) {
  auto& registry = run_store_registry();
  auto it = registry.find(settings.kind);
  if (it == registry.end()) {
    std::string known;
    for (const auto& [name, factory] : registry) known += fmt::format("{}{}", known.empty() ? "" : ", ", name);
    return make_error(ErrorCode::invalid_argument, "unknown run store '{}' (known: {})", settings.kind, known);
  }
  return it->second(settings);
}

}  // namespace occam::workflow
