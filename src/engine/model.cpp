#include <algorithm>
#include <map>

#include "engine/engine.h"
#include "engine/internal/model_impl.h"
#include "engine/internal/registry.h"

namespace occam::engine {

namespace {

std::map<std::string, ArchLoader, std::less<>>& arch_registry() {
  static std::map<std::string, ArchLoader, std::less<>> registry;
  return registry;
}

}  // namespace

ArchRegistration::ArchRegistration(std::string_view name, ArchLoader loader) {
  arch_registry().emplace(std::string(name), loader);
}

ArchLoader find_arch(std::string_view name) {
  auto it = arch_registry().find(name);
  return it == arch_registry().end() ? nullptr : it->second;
}

std::vector<std::string> registered_archs() {
  std::vector<std::string> names;
  for (const auto& [name, loader] : arch_registry()) names.push_back(name);
  return names;
}

Model::Model(std::unique_ptr<ModelImpl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const ModelInfo& Model::info() const { return impl_->info; }
const gguf::File& Model::file() const { return impl_->file; }
std::vector<std::string> Model::architectures() { return registered_archs(); }

namespace {

Result<std::shared_ptr<const Model>> load_model(const std::filesystem::path& path, const ModelOptions& options,
                                                std::unique_ptr<ModelImpl>& impl_out) {
  gguf::OpenOptions open_options;
  open_options.populate = options.populate;
  OCCAM_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(path, open_options));
  auto impl = std::make_unique<ModelImpl>(std::move(file));
  const gguf::File& f = impl->file;
  const std::string arch(f.architecture());
  if (arch.empty()) return make_error(ErrorCode::invalid_argument, "missing key 'general.architecture'");
  ArchLoader loader = find_arch(arch);
  if (loader == nullptr) {
    std::string known;
    for (const std::string& name : registered_archs()) known += (known.empty() ? "" : ", ") + name;
    return make_error(ErrorCode::unsupported, "unknown architecture '{}' (supported: {})", arch, known);
  }
  OCCAM_ASSIGN_OR_RETURN(LoadedGraph loaded, loader(f));
  impl->hp = std::move(loaded.hp);
  impl->graph = std::move(loaded.graph);
  const HParams& hp = impl->hp;
  ModelInfo& info = impl->info;
  info.architecture = arch;
  OCCAM_ASSIGN_OR_RETURN(std::string_view name, f.get_or<std::string_view>("general.name", ""));
  info.name = std::string(name);
  info.n_vocab = hp.n_vocab;
  info.n_embd = hp.n_embd;
  info.n_layer = hp.n_layer;
  info.n_head = hp.n_head;
  info.n_head_kv = hp.n_head_kv;
  info.n_ctx_train = hp.n_ctx_train;
  info.is_encoder = !hp.causal;
  info.file_bytes = f.size();
  info.parameter_count = f.parameter_count();
  auto token_id = [&](std::string_view key) -> Result<int32_t> {
    OCCAM_ASSIGN_OR_RETURN(int64_t id, f.get_integer_or<int64_t>(key, -1));
    if (id >= static_cast<int64_t>(hp.n_vocab)) {
      return make_error(ErrorCode::invalid_argument, "key '{}': token id {} out of range (n_vocab {})", key, id,
                        hp.n_vocab);
    }
    return static_cast<int32_t>(id);
  };
  OCCAM_ASSIGN_OR_RETURN(info.bos_token, token_id("tokenizer.ggml.bos_token_id"));
  OCCAM_ASSIGN_OR_RETURN(info.eos_token, token_id("tokenizer.ggml.eos_token_id"));
  OCCAM_ASSIGN_OR_RETURN(int32_t eot, token_id("tokenizer.ggml.eot_token_id"));
  for (int32_t id : {info.eos_token, eot}) {
    if (id >= 0 && std::find(impl->end_tokens.begin(), impl->end_tokens.end(), id) == impl->end_tokens.end()) {
      impl->end_tokens.push_back(id);
    }
  }
  info.end_tokens = impl->end_tokens;
  impl_out = std::move(impl);
  return std::shared_ptr<const Model>();
}

}  // namespace

Result<std::shared_ptr<const Model>> Model::load(const std::filesystem::path& path, const ModelOptions& options) {
  std::unique_ptr<ModelImpl> impl;
  auto status = load_model(path, options, impl);
  if (!status.ok()) return std::move(status).error().with_context(fmt::format("loading '{}'", path.string()));
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

}  // namespace occam::engine
