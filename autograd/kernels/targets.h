// Which Highway SIMD targets this build contains and which one runtime dispatch picks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trit::kernels {

// Name of the target that HWY_DYNAMIC_DISPATCH uses on this CPU, e.g. "AVX3_ZEN4".
std::string dispatch_target();

// Every target compiled into this binary that this CPU supports (bit values of hwy).
std::vector<int64_t> supported_targets();
std::string target_name(int64_t target);

// Restricts dispatch to one target (tests run each kernel on every target); 0 restores.
void force_target(int64_t target);

}  // namespace trit::kernels
