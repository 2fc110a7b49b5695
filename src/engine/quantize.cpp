#include "engine/quantize.h"

#include <algorithm>
#include <charconv>
#include <memory>

#include "kernels/kernels.h"

namespace occam::engine {

namespace {

using gguf::TensorType;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Layer index of "blk.<i>.…", or -1.
int layer_of(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return -1;
  int layer = -1;
  auto [ptr, ec] = std::from_chars(name.data() + 4, name.data() + name.size(), layer);
  return ec == std::errc() ? layer : -1;
}

// llama.cpp's use_more_bits: the first and last eighths of the layers, and every third in between.
bool use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

uint32_t block_of(TensorType type) {
  const kernels::TypeTraits* t = kernels::find_type(static_cast<uint32_t>(type));
  return t == nullptr ? 1 : static_cast<uint32_t>(t->block_size);
}

}  // namespace

Result<QuantScheme> parse_quant_scheme(std::string_view name) {
  static const QuantScheme kSchemes[] = {
      {"F32", TensorType::F32, 0, false},   {"F16", TensorType::F16, 1, false},
      {"Q8_0", TensorType::Q8_0, 7, false}, {"Q4_0", TensorType::Q4_0, 2, false},
      {"Q4_K_M", TensorType::Q4_K, 15, true}, {"Q6_K", TensorType::Q6_K, 18, false},
  };
  for (const QuantScheme& s : kSchemes) {
    if (s.name == name) return s;
  }
  return make_error(ErrorCode::invalid_argument, "unknown quantization type '{}' (supported: F32, F16, Q8_0, Q4_0, "
                    "Q4_K_M, Q6_K)", name);
}

bool is_quantizable(std::string_view name, uint32_t n_dims) {
  if (n_dims < 2 || !ends_with(name, "weight")) return false;
  for (std::string_view keep : {"_norm.weight", "position_embd.weight", "token_types.weight", "rope_freqs.weight",
                                "rope_factors_long.weight", "rope_factors_short.weight", "ffn_gate_inp.weight"}) {
    if (ends_with(name, keep)) return false;
  }
  return true;
}

TensorType choose_tensor_type(const QuantScheme& scheme, std::string_view name, uint64_t ne0,
                              const QuantLayout& layout) {
  TensorType type = scheme.base;
  const bool quantized_scheme = scheme.base != TensorType::F32 && scheme.base != TensorType::F16;
  if (!quantized_scheme) return type;
  const bool is_output = name == "output.weight" || (!layout.has_output && name == "token_embd.weight");
  const int layer = layer_of(name);
  const int n_layer = static_cast<int>(layout.n_layer);
  if (is_output) {
    if (ne0 % 256 != 0) {
      type = TensorType::Q8_0;
    } else if (type != TensorType::Q8_0) {
      type = TensorType::Q6_K;
    }
  } else if (scheme.k_mixture) {
    if (ends_with(name, "attn_v.weight") && layer >= 0 && use_more_bits(layer, n_layer)) {
      type = TensorType::Q6_K;
    } else if (ends_with(name, "ffn_down.weight") && layer >= 0 && use_more_bits(layer, n_layer)) {
      type = TensorType::Q6_K;
    } else if (ends_with(name, "attn_qkv.weight")) {
      type = TensorType::Q5_K;
    }
  }
  if (ne0 % block_of(type) != 0) {
    switch (type) {
      case TensorType::Q4_K: type = TensorType::Q5_0; break;
      case TensorType::Q5_K: type = TensorType::Q5_1; break;
      case TensorType::Q6_K: type = TensorType::Q8_0; break;
      default: break;
    }
    if (ne0 % block_of(type) != 0) type = TensorType::F16;
  }
  return type;
}

Result<std::vector<uint8_t>> quantize_rows(const float* data, uint64_t n_rows, uint64_t ne0, TensorType type,
                                           int threads) {
  const kernels::Type kt = static_cast<kernels::Type>(static_cast<uint32_t>(type));
  OCCAM_TRY(kernels::check_row(kt, static_cast<int64_t>(ne0), kernels::Op::quantize));
  const size_t row_bytes = kernels::row_bytes(kt, static_cast<int64_t>(ne0));
  std::vector<uint8_t> out(row_bytes * n_rows);
  if (type == TensorType::F32) {
    std::copy_n(reinterpret_cast<const uint8_t*>(data), out.size(), out.data());
    return out;
  }
  kernels::ThreadPool pool(std::max(1, threads));
  const int64_t chunk = 16;
  const int64_t n_chunks = static_cast<int64_t>((n_rows + chunk - 1) / chunk);
  pool.parallel_for(n_chunks, [&](int64_t c, int) {
    const uint64_t end = std::min<uint64_t>(n_rows, static_cast<uint64_t>(c + 1) * chunk);
    for (uint64_t r = static_cast<uint64_t>(c) * chunk; r < end; ++r) {
      // check_row above makes this infallible for every row.
      (void)kernels::quantize_row(kt, data + r * ne0, out.data() + r * row_bytes, static_cast<int64_t>(ne0));
    }
  });
  return out;
}

Result<QuantizeStats> quantize_model(const std::filesystem::path& in, const std::filesystem::path& out,
                                     std::string_view scheme_name, int threads) {
  OCCAM_ASSIGN_OR_RETURN(QuantScheme scheme, parse_quant_scheme(scheme_name));
  OCCAM_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(in));
  QuantLayout layout;
  OCCAM_ASSIGN_OR_RETURN(layout.n_layer, file.get_integer_or<uint32_t>(file.arch_key("block_count"), 0));
  layout.has_output = file.find_tensor("output.weight") != nullptr;

  gguf::Writer writer;
  OCCAM_TRY(writer.copy_metadata(file));
  writer.set("general.file_type", scheme.file_type);
  writer.set("general.quantization_version", uint32_t{2});
  QuantizeStats stats;
  stats.bytes_in = file.size();
  std::vector<float> f32;
  for (const gguf::TensorInfo& t : file.tensors()) {
    TensorType target = t.type;
    if (is_quantizable(t.name, t.n_dims)) target = choose_tensor_type(scheme, t.name, t.ne[0], layout);
    if (target == t.type) {
      OCCAM_TRY(writer.add_tensor(t));
      ++stats.n_kept;
      continue;
    }
    const kernels::Type src = static_cast<kernels::Type>(static_cast<uint32_t>(t.type));
    Status readable = kernels::check_row(src, static_cast<int64_t>(t.ne[0]), kernels::Op::dequantize);
    if (!readable.ok()) return std::move(readable).error().with_context(fmt::format("tensor '{}'", t.name));
    f32.resize(t.n_elements);
    const size_t in_row = t.row_bytes();
    for (uint64_t r = 0; r < t.n_rows(); ++r) {
      kernels::dequantize_row(src, t.data + r * in_row, f32.data() + r * t.ne[0], static_cast<int64_t>(t.ne[0]));
    }
    auto bytes = quantize_rows(f32.data(), t.n_rows(), t.ne[0], target, threads);
    if (!bytes.ok()) return std::move(bytes).error().with_context(fmt::format("tensor '{}'", t.name));
    OCCAM_TRY(writer.add_tensor_owned(t.name, target, t.shape(), std::move(*bytes)));
    ++stats.n_quantized;
  }
  OCCAM_TRY(writer.write(out));
  std::error_code ec;
  stats.bytes_out = std::filesystem::file_size(out, ec);
  return stats;
}

}  // namespace occam::engine
