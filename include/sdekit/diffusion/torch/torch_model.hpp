#pragma once
// A LibTorch network as a batched model for sdekit's diffusion samplers. Only programs that link LibTorch include
// this header (the library itself never does): see examples/torch_score_network.cpp and docs/diffusion-models.md.
//
// The block of particles arrives as an n×B column-major Eigen matrix, which is exactly a row-major B×n array, so it
// becomes the network's B×n input without a transpose; the times become a B-vector. One forward per block, without
// autograd. The network must treat the rows of its input independently (no batch normalisation, no reductions across
// the batch), which is what sdekit's reproducibility contract asks of a batched score (see batched.hpp).
#include <sdekit/core/errors.hpp>

#include <Eigen/Dense>
#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace sdekit {

/// A batched model m(X, t) made of a LibTorch module whose `forward(x, t)` takes the B×n states and the B times
/// and returns B×n outputs (a denoiser, a noise or a velocity predictor, or a score: say which to
/// score_from_prediction). Copies share the module (LibTorch modules are shared handles).
template <class Module>
struct TorchBatchedModel {
  Module module;                         ///< the network (a torch::nn::ModuleHolder, e.g. from TORCH_MODULE)
  torch::Dtype dtype = torch::kFloat32;  ///< the precision the network computes in
  /// The outputs for the columns of x at the times t, as an n×B matrix.
  Eigen::MatrixXd operator()(const Eigen::MatrixXd& x, const Eigen::VectorXd& t) const {
    const auto rows = static_cast<std::int64_t>(x.rows()), columns = static_cast<std::int64_t>(x.cols());
    detail::require(t.size() == x.cols(), "sdekit::TorchBatchedModel", "t.size()", t.size(),
                    "must equal the number of columns of X, " + std::to_string(x.cols()));
    torch::NoGradGuard no_grad;
    // from_blob wants a mutable pointer but .to() copies (or, for double networks, only reads): nothing is written.
    const auto options = torch::TensorOptions().dtype(torch::kFloat64);
    const torch::Tensor states = torch::from_blob(const_cast<double*>(x.data()), {columns, rows}, options).to(dtype);
    const torch::Tensor times = torch::from_blob(const_cast<double*>(t.data()), {columns}, options).to(dtype);
    Module shared = module;  // a handle: forward() need not be const
    const torch::Tensor out = shared->forward(states, times).to(torch::kFloat64).contiguous();
    detail::require(out.dim() == 2 && out.size(0) == columns && out.size(1) == rows, "sdekit::TorchBatchedModel",
                    "module->forward(x, t).sizes()", out.sizes().vec().size() == 2 ? out.size(0) : -1,
                    "must be B×n = " + std::to_string(columns) + "×" + std::to_string(rows));
    Eigen::MatrixXd result(x.rows(), x.cols());
    std::memcpy(result.data(), out.data_ptr<double>(), sizeof(double) * static_cast<std::size_t>(rows * columns));
    return result;
  }
};

/// Makes a TorchBatchedModel from a module (class template argument deduction for older compilers' sake).
template <class Module>
TorchBatchedModel<Module> torch_batched_model(Module module, torch::Dtype dtype = torch::kFloat32) {
  return TorchBatchedModel<Module>{std::move(module), dtype};
}

}  // namespace sdekit
