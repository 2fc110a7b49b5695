// The type table and the row converters' dispatch.
#include <cassert>
#include <cstring>

#include "kernels/detail/blocks.h"
#include "kernels/kernels.h"

namespace occam::kernels {

namespace {

using DequantizeFn = void (*)(const void*, float*, int64_t);
using QuantizeFn = void (*)(const float*, void*, int64_t);

struct Entry {
  TypeTraits traits;
  DequantizeFn dequantize;
  QuantizeFn quantize;
};

void dequantize_f32(const void* src, float* dst, int64_t n) { std::memcpy(dst, src, n * sizeof(float)); }
void quantize_f32(const float* src, void* dst, int64_t n) { std::memcpy(dst, src, n * sizeof(float)); }
void dequantize_f16(const void* src, float* dst, int64_t n) {
  fp16_to_fp32_row(static_cast<const uint16_t*>(src), dst, n);
}
void quantize_f16(const float* src, void* dst, int64_t n) {
  fp32_to_fp16_row(src, static_cast<uint16_t*>(dst), n);
}

// {type, name, block size, block bytes, dequantize, quantize, matmul}
const Entry kEntries[] = {
    {{Type::F32, "F32", 1, 4, true, true, true}, dequantize_f32, quantize_f32},
    {{Type::F16, "F16", 1, 2, true, true, true}, dequantize_f16, quantize_f16},
    {{Type::Q4_0, "Q4_0", 32, 18, true, true, true}, detail::dequantize_q4_0, detail::quantize_q4_0},
    {{Type::Q4_1, "Q4_1", 32, 20, true, true, true}, detail::dequantize_q4_1, detail::quantize_q4_1},
    {{Type::Q5_0, "Q5_0", 32, 22, true, true, true}, detail::dequantize_q5_0, detail::quantize_q5_0},
    {{Type::Q5_1, "Q5_1", 32, 24, true, true, true}, detail::dequantize_q5_1, detail::quantize_q5_1},
    {{Type::Q8_0, "Q8_0", 32, 34, true, true, true}, detail::dequantize_q8_0, detail::quantize_q8_0},
    {{Type::Q8_1, "Q8_1", 32, 36, true, true, false}, detail::dequantize_q8_1, detail::quantize_q8_1},
    {{Type::Q2_K, "Q2_K", 256, 84, true, false, true}, detail::dequantize_q2_k, nullptr},
    {{Type::Q3_K, "Q3_K", 256, 110, true, false, true}, detail::dequantize_q3_k, nullptr},
    {{Type::Q4_K, "Q4_K", 256, 144, true, true, true}, detail::dequantize_q4_k, detail::quantize_q4_k},
    {{Type::Q5_K, "Q5_K", 256, 176, true, true, true}, detail::dequantize_q5_k, detail::quantize_q5_k},
    {{Type::Q6_K, "Q6_K", 256, 210, true, true, true}, detail::dequantize_q6_k, detail::quantize_q6_k},
    {{Type::Q8_K, "Q8_K", 256, 292, true, true, false}, detail::dequantize_q8_k, detail::quantize_q8_k},
    {{Type::BF16, "BF16", 1, 2, true, true, true}, detail::dequantize_bf16, detail::quantize_bf16},
};

const Entry* find_entry(uint32_t id) {
  for (const Entry& e : kEntries) {
    if (static_cast<uint32_t>(e.traits.type) == id) return &e;
  }
  return nullptr;
}

const Entry& entry(Type type) {
  const Entry* e = find_entry(static_cast<uint32_t>(type));
  assert(e != nullptr && "kernels: unknown Type enumerator");
  return *e;
}

}  // namespace

const TypeTraits* find_type(uint32_t id) {
  const Entry* e = find_entry(id);
  return e ? &e->traits : nullptr;
}

const TypeTraits& traits(Type type) { return entry(type).traits; }

Status check_row(Type type, int64_t n, Op op) {
  const Entry* e = find_entry(static_cast<uint32_t>(type));
  if (e == nullptr) {
    return make_error(ErrorCode::unsupported, "kernels: unknown tensor type id {}", static_cast<uint32_t>(type));
  }
  const TypeTraits& t = e->traits;
  const bool can = op == Op::dequantize ? t.can_dequantize : op == Op::quantize ? t.can_quantize : t.can_matmul;
  if (!can) {
    const char* what = op == Op::dequantize ? "dequantize" : op == Op::quantize ? "quantize" : "matmul";
    return make_error(ErrorCode::unsupported, "kernels: type {} does not support {}", t.name, what);
  }
  if (n <= 0 || n % t.block_size != 0) {
    return make_error(ErrorCode::invalid_argument, "kernels: row of {} elements is not a positive multiple of {}'s block size {}",
                      n, t.name, t.block_size);
  }
  return ok_status();
}

void dequantize_row(Type type, const void* src, float* dst, int64_t n) {
  const Entry& e = entry(type);
  assert(n % e.traits.block_size == 0);
  e.dequantize(src, dst, n);
}

Status quantize_row(Type type, const float* src, void* dst, int64_t n) {
  OCCAM_TRY(check_row(type, n, Op::quantize));
  entry(type).quantize(src, dst, n);
  return ok_status();
}

}  // namespace occam::kernels
