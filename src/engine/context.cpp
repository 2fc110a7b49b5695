#include <algorithm>
#include <thread>

#include "engine/engine.h"
#include "engine/internal/context_impl.h"

namespace occam::engine {

void Batch::add(int32_t token, int32_t pos, int32_t seq, bool logits) {
  tokens_.push_back(token);
  pos_.push_back(pos);
  seq_.push_back(seq);
  logits_.push_back(logits ? 1 : 0);
}

void Batch::clear() {
  tokens_.clear();
  pos_.clear();
  seq_.clear();
  logits_.clear();
}

Context::Context(std::unique_ptr<ContextImpl> impl) : impl_(std::move(impl)) {}
Context::~Context() = default;

Result<std::unique_ptr<Context>> Context::create(std::shared_ptr<const Model> model, const ContextOptions& options) {
  if (model == nullptr) return make_error(ErrorCode::invalid_argument, "context: no model");
  auto impl = std::make_unique<ContextImpl>();
  impl->m = &model->impl();
  const HParams& hp = impl->m->hp;
  ContextOptions o = options;
  if (o.n_ctx == 0) o.n_ctx = std::min<uint32_t>(hp.n_ctx_train, 4096);
  if (!hp.causal && o.n_ctx > hp.n_ctx_train) {
    return make_error(ErrorCode::invalid_argument, "context: n_ctx {} exceeds the encoder's {} positions", o.n_ctx,
                      hp.n_ctx_train);
  }
  if (o.n_seq == 0) return make_error(ErrorCode::invalid_argument, "context: n_seq must be at least 1");
  if (o.n_ubatch == 0) o.n_ubatch = 512;
  // An encoder sees the whole sequence at once: one ubatch must hold it.
  if (!hp.causal) o.n_ubatch = o.n_ctx;
  o.n_ubatch = std::min(o.n_ubatch, o.n_ctx * o.n_seq);
  if (o.threads <= 0) o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl->options = o;
  OCCAM_ASSIGN_OR_RETURN(impl->kv, KvCache::create(hp.n_layer, o.n_seq, o.n_ctx, hp.k_dim(), hp.v_dim(), o.kv_type));
  impl->ws = std::make_unique<Workspace>(hp, o.n_ubatch, o.n_ctx, o.threads);
  impl->pool = std::make_unique<kernels::ThreadPool>(o.threads);
  impl->last_pos.assign(o.n_seq, -1);
  impl->model = std::move(model);
  return std::unique_ptr<Context>(new Context(std::move(impl)));
}

const Model& Context::model() const { return *impl_->model; }
uint32_t Context::n_ctx() const { return impl_->options.n_ctx; }
uint32_t Context::n_seq() const { return impl_->options.n_seq; }
int Context::threads() const { return impl_->options.threads; }
size_t Context::n_outputs() const { return impl_->n_outputs; }

std::span<const float> Context::logits(size_t i) const {
  const size_t n_vocab = impl_->m->hp.n_vocab;
  if (i >= impl_->n_outputs) return {};
  return std::span<const float>(impl_->outputs).subspan(i * n_vocab, n_vocab);
}

uint32_t Context::seq_length(int32_t seq) const {
  if (seq < 0 || static_cast<uint32_t>(seq) >= impl_->options.n_seq) return 0;
  return impl_->kv->length(static_cast<uint32_t>(seq));
}

void Context::clear(int32_t seq) {
  for (uint32_t s = 0; s < impl_->options.n_seq; ++s) {
    if (seq < 0 || static_cast<uint32_t>(seq) == s) impl_->kv->set_length(s, 0);
  }
}

Status ContextImpl::validate(const Batch& batch) {
  const HParams& hp = m->hp;
  const uint32_t n_ctx = options.n_ctx;
  std::fill(last_pos.begin(), last_pos.end(), -1);
  for (size_t i = 0; i < batch.size(); ++i) {
    const int32_t token = batch.tokens()[i], pos = batch.positions()[i], seq = batch.seqs()[i];
    if (token < 0 || static_cast<uint32_t>(token) >= hp.n_vocab) {
      return make_error(ErrorCode::invalid_argument, "batch entry {}: token id {} out of range (n_vocab {})", i,
                        token, hp.n_vocab);
    }
    if (seq < 0 || static_cast<uint32_t>(seq) >= options.n_seq) {
      return make_error(ErrorCode::invalid_argument, "batch entry {}: sequence {} out of range (n_seq {})", i, seq,
                        options.n_seq);
    }
    if (pos < 0 || static_cast<uint32_t>(pos) >= n_ctx) {
      return make_error(ErrorCode::invalid_argument,
                        "batch entry {}: position {} exceeds the context (n_ctx {}) of sequence {}", i, pos, n_ctx,
                        seq);
    }
    int32_t& last = last_pos[static_cast<size_t>(seq)];
    // A sequence continues at its cached length, or rewinds to an earlier position; no gaps.
    const int32_t expected = last >= 0 ? last + 1 : -1;
    if (expected >= 0 ? pos != expected : static_cast<uint32_t>(pos) > kv->length(static_cast<uint32_t>(seq))) {
      return make_error(ErrorCode::invalid_argument,
                        "batch entry {}: position {} of sequence {} leaves a gap (expected {})", i, pos, seq,
                        expected >= 0 ? expected : static_cast<int32_t>(kv->length(static_cast<uint32_t>(seq))));
    }
    last = pos;
  }
  return ok_status();
}

void ContextImpl::run_ubatch(const Batch& batch, size_t begin, size_t end, float* out) {
  ub.n = static_cast<int32_t>(end - begin);
  ub.tokens = batch.tokens().data() + begin;
  ub.pos = batch.positions().data() + begin;
  ub.slot = batch.seqs().data() + begin;
  for (Ubatch::Group& g : ub.groups) g.rows.clear();
  size_t n_groups = 0;
  out_rows.clear();
  for (int32_t t = 0; t < ub.n; ++t) {
    const uint32_t slot = static_cast<uint32_t>(ub.slot[t]);
    size_t g = 0;
    while (g < n_groups && ub.groups[g].slot != slot) ++g;
    if (g == n_groups) {
      if (ub.groups.size() == n_groups) ub.groups.emplace_back();
      ub.groups[g].slot = slot;
      ub.groups[g].rows.clear();
      ++n_groups;
    }
    ub.groups[g].rows.push_back(t);
    ub.groups[g].n_keys = static_cast<uint32_t>(ub.pos[t]) + 1;
    if (batch.wants_logits()[begin + static_cast<size_t>(t)]) out_rows.push_back(t);
  }
  ub.groups.resize(n_groups);
  ForwardContext fc{m->hp, ub, kv.get(), *ws, *pool, out_rows, out};
  m->graph->forward(fc);
  for (const Ubatch::Group& g : ub.groups) kv->set_length(g.slot, g.n_keys);
}

Status Context::decode(const Batch& batch) {
  ContextImpl& c = *impl_;
  if (!c.m->hp.causal) {
    return make_error(ErrorCode::invalid_argument, "decode: '{}' is an encoder model; use embed()",
                      c.m->info.architecture);
  }
  OCCAM_TRY(c.validate(batch));
  const size_t n_vocab = c.m->hp.n_vocab;
  size_t n_out = 0;
  for (uint8_t w : batch.wants_logits()) n_out += w;
  c.outputs.resize(n_out * n_vocab);
  c.n_outputs = n_out;
  size_t out_index = 0;
  for (size_t begin = 0; begin < batch.size(); begin += c.options.n_ubatch) {
    const size_t end = std::min(batch.size(), begin + c.options.n_ubatch);
    c.run_ubatch(batch, begin, end, c.outputs.data() + out_index * n_vocab);
    for (size_t i = begin; i < end; ++i) out_index += batch.wants_logits()[i];
  }
  return ok_status();
}

Result<std::vector<float>> Context::embed(std::span<const int32_t> tokens) {
  ContextImpl& c = *impl_;
  const HParams& hp = c.m->hp;
  if (hp.causal) {
    return make_error(ErrorCode::unsupported, "embed: '{}' is a decoder model; embeddings need an encoder (bert)",
                      hp.arch);
  }
  if (tokens.empty()) return make_error(ErrorCode::invalid_argument, "embed: no tokens");
  if (tokens.size() > c.options.n_ctx) {
    return make_error(ErrorCode::invalid_argument, "embed: {} tokens exceed the context (n_ctx {})", tokens.size(),
                      c.options.n_ctx);
  }
  Batch batch;
  for (size_t i = 0; i < tokens.size(); ++i) batch.add(tokens[i], static_cast<int32_t>(i), 0, false);
  c.kv->set_length(0, 0);
  OCCAM_TRY(c.validate(batch));
  std::vector<float> hidden(tokens.size() * hp.n_embd);
  c.run_ubatch(batch, 0, batch.size(), hidden.data());
  c.kv->set_length(0, 0);
  std::vector<float> pooled(hp.n_embd, 0.0f);
  switch (hp.pooling) {
    case Pooling::cls:
      std::copy_n(hidden.begin(), hp.n_embd, pooled.begin());
      break;
    case Pooling::last:
      std::copy_n(hidden.end() - hp.n_embd, hp.n_embd, pooled.begin());
      break;
    case Pooling::none:
    case Pooling::mean: {
      for (size_t t = 0; t < tokens.size(); ++t) {
        kernels::add(pooled.data(), hidden.data() + t * hp.n_embd, pooled.data(), hp.n_embd);
      }
      kernels::scale(pooled.data(), 1.0f / static_cast<float>(tokens.size()), pooled.data(), hp.n_embd);
      break;
    }
  }
  return pooled;
}

}  // namespace occam::engine

