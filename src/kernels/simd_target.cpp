// Which Highway target the dispatched kernels use; tests and benchmarks force each one in turn.
#include <hwy/highway.h>
#include <hwy/targets.h>

#include "kernels/kernels.h"

namespace occam::kernels {

namespace {
// The targets src/kernels compiles (CMakeLists.txt), best first.
constexpr int64_t kCompiled[] = {HWY_AVX3_DL, HWY_AVX3, HWY_AVX2, HWY_EMU128, HWY_SCALAR};
}  // namespace

std::vector<std::string> simd_targets() {
  const int64_t supported = hwy::SupportedTargets();
  std::vector<std::string> names;
  for (int64_t t : kCompiled) {
    if (supported & t) names.emplace_back(hwy::TargetName(t));
  }
  return names;
}

Status force_simd_target(const std::string& name) {
  if (name.empty()) {
    hwy::SetSupportedTargetsForTest(0);
    return ok_status();
  }
  const int64_t supported = hwy::SupportedTargets();
  for (int64_t t : kCompiled) {
    if ((supported & t) && name == hwy::TargetName(t)) {
      hwy::SetSupportedTargetsForTest(t);
      return ok_status();
    }
  }
  return make_error(ErrorCode::invalid_argument, "kernels: SIMD target '{}' is not available here", name);
}

std::string current_simd_target() {
  const int64_t supported = hwy::SupportedTargets();
  for (int64_t t : kCompiled) {
    if (supported & t) return hwy::TargetName(t);
  }
  return "none";
}

}  // namespace occam::kernels
