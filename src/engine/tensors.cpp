#include "engine/internal/tensors.h"

#include <fmt/format.h>

namespace occam::engine {

namespace {

std::string shape_string(uint64_t ne0, uint64_t ne1) {
  return ne1 == 1 ? fmt::format("[{}]", ne0) : fmt::format("[{}, {}]", ne0, ne1);
}

}  // namespace

std::string TensorLoader::layer_name(uint32_t layer, std::string_view suffix) {
  return fmt::format("blk.{}.{}", layer, suffix);
}

Result<const gguf::TensorInfo*> TensorLoader::find_shaped(std::string_view name, uint64_t ne0, uint64_t ne1,
                                                          bool required) const {
  const gguf::TensorInfo* t = file_.find_tensor(name);
  if (t == nullptr) {
    if (!required) return static_cast<const gguf::TensorInfo*>(nullptr);
    return make_error(ErrorCode::invalid_argument, "missing tensor '{}' (expected shape {})", name,
                      shape_string(ne0, ne1));
  }
  // Trailing dimensions of 1 are equivalent ([n] == [n, 1]).
  const bool ok = t->ne[0] == ne0 && t->ne[1] == ne1 && t->ne[2] == 1 && t->ne[3] == 1;
  if (!ok) {
    return make_error(ErrorCode::invalid_argument, "tensor '{}': expected shape {}, found {}", name,
                      shape_string(ne0, ne1), t->shape_string());
  }
  return t;
}

Result<Matrix> TensorLoader::optional_matrix(std::string_view name, uint64_t ne0, uint64_t ne1) const {
  OCCAM_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, find_shaped(name, ne0, ne1, false));
  Matrix m;
  if (t == nullptr) return m;
  const kernels::TypeTraits* traits = kernels::find_type(static_cast<uint32_t>(t->type));
  if (traits == nullptr || !traits->can_matmul || !traits->can_dequantize) {
    return make_error(ErrorCode::unsupported, "tensor '{}': type {} is not supported for matrices", name,
                      gguf::to_string(t->type));
  }
  m.info = t;
  m.view = kernels::WeightView{traits->type, t->data, static_cast<int64_t>(ne0), static_cast<int64_t>(ne1), 0};
  Status check = kernels::check_weight(m.view);
  if (!check.ok()) return std::move(check).error().with_context(fmt::format("tensor '{}'", name));
  return m;
}

Result<Matrix> TensorLoader::matrix(std::string_view name, uint64_t ne0, uint64_t ne1) const {
  OCCAM_ASSIGN_OR_RETURN(Matrix m, optional_matrix(name, ne0, ne1));
  if (!m) {
    return make_error(ErrorCode::invalid_argument, "missing tensor '{}' (expected shape {})", name,
                      shape_string(ne0, ne1));
  }
  return m;
}

Result<const float*> TensorLoader::table(std::string_view name, uint64_t ne0, uint64_t ne1) const {
  OCCAM_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, find_shaped(name, ne0, ne1, true));
  if (t->type != gguf::TensorType::F32) {
    return make_error(ErrorCode::unsupported, "tensor '{}': expected type F32, found {}", name,
                      gguf::to_string(t->type));
  }
  return reinterpret_cast<const float*>(t->data);
}

Result<const float*> TensorLoader::optional_vector(std::string_view name, uint64_t n) const {
  if (file_.find_tensor(name) == nullptr) return static_cast<const float*>(nullptr);
  return table(name, n, 1);
}

Result<const float*> TensorLoader::vector(std::string_view name, uint64_t n) const { return table(name, n, 1); }

void matrix_row_to_f32(const Matrix& m, int64_t row, float* dst) {
  const size_t stride = m.view.row_stride != 0 ? m.view.row_stride : kernels::row_bytes(m.view.type, m.view.ne0);
  kernels::dequantize_row(m.view.type, static_cast<const uint8_t*>(m.view.data) + static_cast<size_t>(row) * stride,
                          dst, m.view.ne0);
}

}  // namespace occam::engine
