// Quantized math and threads for the embedded engine: ggml block formats (dequantize, quantize),
// matrix × activations products that quantize the activations on the fly exactly as llama.cpp's CPU
// backend does (so results track llama.cpp closely), the vector ops of the model graphs, and a
// persistent thread pool.
//
//   kernels::ThreadPool pool(2);
//   kernels::WeightView w{kernels::Type::Q4_K, tensor_data, /*ne0=*/896, /*n_rows=*/4864};
//   kernels::matmul(w, x, n_tokens, y, pool);     // y[t][r] = Σ_c w[r][c] · x[t][c]
//
// SIMD is chosen at run time (Highway dynamic dispatch: AVX2, AVX-512, AVX-512 VNNI); every SIMD
// path has a portable twin (EMU128 or SCALAR) that the tests compare against. Tensor type ids are ggml's; the
// gguf component has its own list for validation and the engine casts between the two by id.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"

namespace occam::kernels {

// ---------------------------------------------------------------------------------------------
// Types and block formats (ggml ids, llama.cpp commit c392e50)

enum class Type : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15, BF16 = 30,
};

struct TypeTraits {
  Type type;
  const char* name;         // "Q4_K", as llama.cpp prints it
  int64_t block_size;       // elements per block (1 for F32/F16/BF16)
  size_t block_bytes;       // bytes per block
  bool can_dequantize;      // dequantize_row supports it
  bool can_quantize;        // quantize_row supports it
  bool can_matmul;          // matmul supports it as the weight type
};

// Traits of a type id this component knows, or nullptr (ids are untrusted: they come from files).
const TypeTraits* find_type(uint32_t id);
// Traits of a known type (an invariant: asserts on an unknown enumerator).
const TypeTraits& traits(Type type);
inline int64_t block_size(Type type) { return traits(type).block_size; }
// Bytes of a row of n elements; n must be a multiple of block_size(type).
inline size_t row_bytes(Type type, int64_t n) {
  return static_cast<size_t>(n / traits(type).block_size) * traits(type).block_bytes;
}
// invalid_argument unless n > 0 and n is a multiple of the block size; unsupported for what = quantize
// / dequantize / matmul when the type lacks that operation.
enum class Op { dequantize, quantize, matmul };
Status check_row(Type type, int64_t n, Op op);

// n elements of type `type` → F32. n must be a multiple of block_size(type); the type must have
// can_dequantize (checked with check_row where the input is untrusted).
void dequantize_row(Type type, const void* src, float* dst, int64_t n);

// F32 → n elements of type `type` (F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q4_K, Q5_K, Q6_K,
// Q8_K). Same bytes as llama.cpp's quantizers without an importance matrix: `quantize_row_*_ref`, and for
// Q4_K/Q5_K/Q6_K the search of make_qkx2_quants / make_qx_quants that llama-quantize uses.
Status quantize_row(Type type, const float* src, void* dst, int64_t n);

// fp16 / bf16 scalars and rows (round to nearest even; bf16 from f32 as ggml: NaN kept quiet).
float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);
float bf16_to_fp32(uint16_t h);
uint16_t fp32_to_bf16(float f);
void fp16_to_fp32_row(const uint16_t* src, float* dst, int64_t n);
void fp32_to_fp16_row(const float* src, uint16_t* dst, int64_t n);

// ---------------------------------------------------------------------------------------------
// Threads

// Persistent workers; the calling thread is worker 0, so ThreadPool(1) runs everything inline.
// Dispatch spins briefly (a decode step issues hundreds of parallel sections per token) then sleeps.
// One section at a time: run/parallel_for must not be called from inside a section or concurrently
// from two threads (use the pool-less matmul overload inside a section).
class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // fn(thread_index, n_threads) once on every thread; returns when all are done.
  template <typename Fn>
  void run(Fn&& fn) {
    using F = std::remove_reference_t<Fn>;
    run_raw([](void* ctx, int thread, int n) { (*static_cast<F*>(ctx))(thread, n); },
            const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // fn(task, thread_index) for task in [0, n_tasks), tasks handed out dynamically (an atomic counter);
  // returns when all tasks are done. The caller takes tasks too, and a worker that has not woken up
  // by then is not waited for (an oversubscribed host does not stall the section).
  template <typename Fn>
  void parallel_for(int64_t n_tasks, Fn&& fn) {
    if (n_tasks <= 0) return;
    using F = std::remove_reference_t<Fn>;
    run_tasks_raw([](void* ctx, int64_t task, int thread) { (*static_cast<F*>(ctx))(task, thread); },
                  const_cast<void*>(static_cast<const void*>(&fn)), n_tasks);
  }

 private:
  using RawFn = void (*)(void* ctx, int thread, int n_threads);
  using TaskFn = void (*)(void* ctx, int64_t task, int thread);
  void run_raw(RawFn fn, void* ctx);
  void run_tasks_raw(TaskFn fn, void* ctx, int64_t n_tasks);
  void open_section();
  void close_section();
  void run_tasks(int thread);
  void worker_loop(int thread);

  int n_threads_;
  std::vector<std::thread> workers_;
  // The current section, written by the caller before it opens the section.
  RawFn fn_ = nullptr;
  TaskFn task_fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_tasks_ = 0;
  bool task_mode_ = false;
  alignas(64) std::atomic<uint32_t> generation_{0};  // bumped per section; workers wait on it
  std::atomic<uint32_t> section_{0};                  // the generation whose fields are above
  std::atomic<bool> closed_{true};                    // no worker may enter the section any more
  alignas(64) std::atomic<int> active_{0};            // workers inside the section
  alignas(64) std::atomic<int> pending_{0};           // run(): workers still to run fn
  alignas(64) std::atomic<int64_t> next_task_{0};     // parallel_for: next task to hand out
  alignas(64) std::atomic<int64_t> done_tasks_{0};    // parallel_for: tasks finished
  std::atomic<bool> stop_{false};
  std::atomic<int> sleepers_{0};
};

// ---------------------------------------------------------------------------------------------
// Matrix products

// A weight matrix: n_rows rows of ne0 elements of `type`, row r at data + r·row_stride bytes
// (row_stride 0 = row_bytes(type, ne0), i.e. contiguous as in a GGUF tensor).
struct WeightView {
  Type type = Type::F32;
  const void* data = nullptr;
  int64_t ne0 = 0;     // elements per row (columns); a multiple of block_size(type)
  int64_t n_rows = 0;
  size_t row_stride = 0;
};

// invalid_argument / unsupported when matmul cannot take this weight (call once at load time).
Status check_weight(const WeightView& w);

// y[t·n_rows + r] = Σ_c w[r][c] · x[t·ne0 + c] for t < n_tokens. x and y are F32, row-major, and must
// not overlap. Activations are converted as llama.cpp does before the dot products: Q8_0 blocks for
// Q4_0/Q5_0/Q8_0 weights, Q8_1 for Q4_1/Q5_1, Q8_K for K-quants, F16 for F16, BF16 for BF16, none for
// F32. Each weight block is read and unpacked once per group of up to 8 tokens (4 on AVX2), so a decode
// batch of 2..8 sequences streams the weights once; rows are split across the pool's threads.
// Preconditions: check_weight(w) ok.
void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);
// Same on the calling thread only (for use inside a parallel section, e.g. per attention head).
void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y);

// ---------------------------------------------------------------------------------------------
// Vector ops (SIMD). y may equal x (in place) unless said otherwise.

// y = x / sqrt(mean(x²) + eps) · w   (w may be nullptr: no weight)
void rmsnorm(const float* x, const float* w, float* y, int64_t n, float eps);
// y = (x − mean) / sqrt(var + eps) · w + b   (w, b may be nullptr)
void layernorm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps);
// In place: x = exp(x − max) / Σ exp(x − max). Entries equal to −inf (masked) become 0.
void softmax(float* x, int64_t n);
// y = x · sigmoid(x)
void silu(const float* x, float* y, int64_t n);
// y = silu(g) · u   (SwiGLU; y may equal g or u)
void swiglu(const float* g, const float* u, float* y, int64_t n);
// y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))   (tanh approximation, computed in F32)
void gelu(const float* x, float* y, int64_t n);
// llama.cpp's GELU exactly: x rounded to f16, result = the f16 value of the tanh GELU of that input
// (a 64 Ki-entry table); x ≤ −10 → 0, x ≥ 10 → x.
void gelu_f16(const float* x, float* y, int64_t n);
// y = c · tanh(x / c)
void softcap(const float* x, float* y, int64_t n, float c);
void add(const float* a, const float* b, float* y, int64_t n);   // y = a + b
void mul(const float* a, const float* b, float* y, int64_t n);   // y = a · b
void scale(const float* x, float s, float* y, int64_t n);        // y = s · x
void axpy(float a, const float* x, float* y, int64_t n);         // y += a · x
float dot_f32(const float* a, const float* b, int64_t n);

// ---------------------------------------------------------------------------------------------
// SIMD target selection (Highway). Normal code never calls these: the best target is used.

// Targets compiled in and supported by this CPU, best first ("AVX3_DL", "AVX3", "AVX2", and the
// portable twin "EMU128", or "SCALAR" when the compiler cannot build EMU128).
std::vector<std::string> simd_targets();
// Restricts dispatch to the named target (for tests and benchmarks); "" restores the best one.
// invalid_argument if the name is not in simd_targets().
Status force_simd_target(const std::string& name);
// The target the dispatch currently picks.
std::string current_simd_target();

}  // namespace occam::kernels
