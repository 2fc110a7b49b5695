// The scale searches of ggml's K-quant quantizers (ggml-quants.c). Private to src/kernels.
#pragma once

#include <cstdint>

namespace occam::kernels::detail {

// make_qkx2_quants: asymmetric n-value group, L in [0, nmax], x ≈ scale·L − the_min, weighted
// least squares over nstep+1 candidate scales (rmin + rdelta·is + nmax)/(max − min). Returns scale.
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min,
                       uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad);

// make_qx_quants: symmetric group, L − nmax in [−nmax, nmax − 1], x ≈ scale·(L − nmax); rmse_type 1
// weights each value by x², and 18 candidate scales −(nmax + 0.1·is)/max are tried. Returns scale.
float make_qx_quants(int n, int nmax, const float* x, int8_t* L, int rmse_type, const float* qw);

// The super-block step shared by Q4_K and Q5_K (quantize_row_q{4,5}_K_ref): per 32-group
// make_qkx2_quants(32, nmax, weights = rms + |x|, rmin, 0.1, nstep), the 8 scales and mins quantized
// to 6 bits against their maxima and packed into `scales` (12 bytes), then the 256 levels in `L`
// recomputed from the rounded scales. Writes the f16 super-block scale and min to `d` / `dmin`.
void quantize_k_superblock(const float* x, int nmax, float rmin, int nstep, uint8_t* scales, uint16_t* d,
                           uint16_t* dmin, uint8_t* L);

}  // namespace occam::kernels::detail
