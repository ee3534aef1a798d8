#include "autograd/kernels/targets.h"

#include <hwy/highway.h>
#include <hwy/targets.h>

namespace trit::kernels {

std::string dispatch_target() {
  // The best supported target among those compiled (as HWY_DYNAMIC_DISPATCH chooses).
  const int64_t usable = hwy::SupportedTargets() & HWY_TARGETS;
  return hwy::TargetName(usable & -usable);
}

std::vector<int64_t> supported_targets() { return hwy::SupportedAndGeneratedTargets(); }

std::string target_name(int64_t target) { return hwy::TargetName(target); }

void force_target(int64_t target) { hwy::SetSupportedTargetsForTest(target); }

}  // namespace trit::kernels
