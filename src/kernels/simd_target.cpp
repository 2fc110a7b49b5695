// Which Highway target the dispatched kernels use; tests and benchmarks force each one in turn.
#include <hwy/highway.h>
#include <hwy/targets.h>

#include "kernels/kernels.h"

namespace occam::kernels {

namespace {
// The targets src/kernels compiles (CMakeLists.txt; HWY_TARGETS is the same set in every file of the
// component), best first.
constexpr int64_t kCandidates[] = {HWY_AVX3_DL, HWY_AVX3, HWY_AVX2, HWY_EMU128, HWY_SCALAR};

// What the CPU supports, read before any forcing (SupportedTargets() reports the forced set afterwards).
int64_t usable_targets() {
  static const int64_t usable = hwy::SupportedTargets() & HWY_TARGETS;
  return usable;
}
}  // namespace

std::vector<std::string> simd_targets() {
  std::vector<std::string> names;
  for (int64_t t : kCandidates) {
    if (usable_targets() & t) names.emplace_back(hwy::TargetName(t));
  }
  return names;
}

Status force_simd_target(const std::string& name) {
  usable_targets();
  if (name.empty()) {
    hwy::SetSupportedTargetsForTest(0);
    return ok_status();
  }
  for (int64_t t : kCandidates) {
    if ((usable_targets() & t) && name == hwy::TargetName(t)) {
      hwy::SetSupportedTargetsForTest(t);
      return ok_status();
    }
  }
  return make_error(ErrorCode::invalid_argument, "kernels: SIMD target '{}' is not available here", name);
}

std::string current_simd_target() {
  const int64_t active = hwy::SupportedTargets() & HWY_TARGETS;
  for (int64_t t : kCandidates) {
    if (active & t) return hwy::TargetName(t);
  }
  return "none";
}

}  // namespace occam::kernels
