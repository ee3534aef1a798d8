// Argument checks shared by the single-layer quantisers (pre-processing, GPFQ, OPTQ).
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "quant/ptq/alphabet.h"

namespace trit::quant {

// "[rows,cols]", as the rest of trit prints shapes.
std::string shape_string(const Eigen::MatrixXd& m);

// X (m x N0), W (N0 x N1), one alphabet per neuron; throws trit::Error naming `where`.
void check_layer(const std::string& where, const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                 const std::vector<Alphabet>& alphabets);

// Every |W_ij| <= c_j (up to 1e-12 c_j); throws trit::Error naming `where` and the entry.
void check_within_scale(const std::string& where, const Eigen::MatrixXd& w,
                        const std::vector<Alphabet>& alphabets);

}  // namespace trit::quant
