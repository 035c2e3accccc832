#pragma once
// Batched scores: a score that takes a block of particles at once, as a neural network does (its cost is nearly the
// same for 1 or 256 inputs). A batched score is called as
//   s(X, t) -> Eigen::MatrixXd      X: n×B, one column per particle;  t: Eigen::VectorXd of B times (one per column)
// and returns the n×B scores. A per-particle score s(x, t) (x a double or an Eigen vector, t a double) is
// recognised by its signature and adapted (PerParticleScore). Also: the conversions between the four quantities a
// network may predict (score, denoiser x0, noise ε, velocity v) and classifier-free guidance as a score combinator.
//
// Reproducibility contract: samplers that take batched scores split the particles into blocks of
// RunOptions::block_size and their results are bitwise the same for any block size and thread count PROVIDED the
// score's output column j depends only on column j of X and on t[j] (deterministic per column: no batch
// statistics, no reductions across columns, no nondeterministic GPU kernels).
#include <sdekit/core/errors.hpp>
#include <sdekit/core/state.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>

namespace sdekit {

/// A score evaluated on a block of particles: s(X, t) with X an n×B matrix (one column per particle) and t the B
/// times, returning the n×B scores. Its column j must depend only on X.col(j) and t[j] (see the file comment).
template <class S>
concept BatchedScore = std::is_invocable_r_v<Eigen::MatrixXd, const S&, const Eigen::MatrixXd&, const Eigen::VectorXd&>;

/// A per-particle score s(x, t) on states of type X (double or an Eigen column vector), t a double.
template <class S, class X>
concept ParticleScore = std::is_invocable_v<const S&, const X&, double>;

/// Adapts a per-particle score s(x, t) on states X to the batched call: one call per column, in column order.
template <class Score, class X>
struct PerParticleScore {
  Score score;  ///< the per-particle score s(x, t)
  /// The scores of every column of x at its time t[j].
  Eigen::MatrixXd operator()(const Eigen::MatrixXd& x, const Eigen::VectorXd& t) const {
    Eigen::MatrixXd out(x.rows(), x.cols());
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      if constexpr (std::is_same_v<X, double>) {
        out(0, j) = static_cast<double>(score(x(0, j), t[j]));
      } else {
        const X column = x.col(j);
        const X s = score(column, t[j]);
        detail::require(s.size() == x.rows(), "sdekit::PerParticleScore", "score(x, t).size()", s.size(),
                        "must equal the state dimension " + std::to_string(x.rows()));
        out.col(j) = s;
      }
    }
    return out;
  }
};

/// The score as a batched score: itself if it is one, else wrapped in PerParticleScore<Score, X>.
template <class X, class Score>
auto as_batched_score(const Score& score) {
  if constexpr (BatchedScore<Score>) {
    return score;
  } else {
    static_assert(ParticleScore<Score, X>,
                  "sdekit: the score must be callable as s(x, t) with x a state and t a double (per particle), or as "
                  "s(X, t) with X an Eigen::MatrixXd (one column per particle) and t an Eigen::VectorXd (batched)");
    return PerParticleScore<Score, X>{score};
  }
}

namespace detail {
/// A non-owning batched view of a score (no copy of a large or non-copyable model): calls it directly if it is
/// batched, else column by column. The score must outlive the view.
template <class X, class Score>
auto batched_view(const Score& score) {
  if constexpr (BatchedScore<Score>) {
    return [&score](const Eigen::MatrixXd& x, const Eigen::VectorXd& t) -> Eigen::MatrixXd { return score(x, t); };
  } else {
    static_assert(ParticleScore<Score, X>,
                  "sdekit: the score must be callable as s(x, t) with x a state and t a double (per particle), or as "
                  "s(X, t) with X an Eigen::MatrixXd (one column per particle) and t an Eigen::VectorXd (batched)");
    return PerParticleScore<const Score&, X>{score};
  }
}
}  // namespace detail

/// What a model predicts, for x_t = a_t x0 + σ_t ε (a_t = mean_coefficient, σ_t = marginal_std of the process).
enum class Prediction {
  score,     ///< s = ∇log p_t(x) = −ε/σ_t
  denoiser,  ///< x0 = E[x0 | x_t] = (x + σ_t² s)/a_t (Karras et al.'s D(x; σ))
  noise,     ///< ε = (x − a_t x0)/σ_t (DDPM's ε-prediction)
  velocity   ///< v = a_t ε − σ_t x0 (Salimans & Ho 2022's v-prediction; their a² + σ² = 1 is not required)
};

/// Converts a model output y of kind `from` at state x into kind `to`, given a_t and σ_t: the one function behind
/// every parameterisation change. Through ε: ε = −σ s = (x − a x0)/σ = (σ x + a v)/(a² + σ²), and back with
/// s = −ε/σ, x0 = (x − σ ε)/a, v = a ε − σ x0 = ((a² + σ²) ε − σ x)/a. Works on doubles, vectors and matrix
/// columns; a = 0 (pure noise) leaves x0 and v undefined, σ = 0 (clean data) leaves s and ε undefined.
template <class A, class B>
auto convert_prediction(Prediction from, Prediction to, const A& x, const B& y, double a, double sigma) {
  using Out = std::conditional_t<std::is_arithmetic_v<A>, double, Eigen::MatrixXd>;
  if (from == to) return Out(y);
  Out eps = Out(y);  // Prediction::noise
  switch (from) {
    case Prediction::score:
      eps = Out(-sigma * y);
      break;
    case Prediction::denoiser:
      eps = Out((x - a * y) / sigma);
      break;
    case Prediction::velocity:
      eps = Out((sigma * x + a * y) / (a * a + sigma * sigma));
      break;
    case Prediction::noise:
      break;
  }
  switch (to) {
    case Prediction::score:
      return Out(eps / -sigma);
    case Prediction::denoiser:
      return Out((x - sigma * eps) / a);
    case Prediction::noise:
      return eps;
    case Prediction::velocity:
      return Out(((a * a + sigma * sigma) * eps - sigma * x) / a);
  }
  return eps;
}

/// A batched score made from a batched model that predicts `kind` (denoiser, noise, velocity or score) under a
/// forward process (anything with mean_coefficient(t), marginal_std(t)), column by column with convert_prediction.
template <class Model, class Process>
struct ScoreFromPrediction {
  Model model;      ///< the batched model m(X, t) -> n×B
  Process process;  ///< supplies a_t and σ_t
  Prediction kind;  ///< what the model predicts
  /// s(X, t).
  Eigen::MatrixXd operator()(const Eigen::MatrixXd& x, const Eigen::VectorXd& t) const {
    Eigen::MatrixXd y = model(x, t);
    detail::require(y.rows() == x.rows() && y.cols() == x.cols(), "sdekit::ScoreFromPrediction", "model(X, t).rows()",
                    y.rows(), "must match X (" + std::to_string(x.rows()) + "×" + std::to_string(x.cols()) + ")");
    for (Eigen::Index j = 0; j < x.cols(); ++j)
      y.col(j) = convert_prediction(kind, Prediction::score, x.col(j), y.col(j), process.mean_coefficient(t[j]),
                                    process.marginal_std(t[j]));
    return y;
  }
};

/// The score of a batched model predicting `kind` (a per-particle model is adapted first, for states X).
template <class X = Eigen::VectorXd, class Model, class Process>
auto score_from_prediction(Prediction kind, const Model& model, const Process& process) {
  using M = decltype(as_batched_score<X>(model));
  return ScoreFromPrediction<M, Process>{as_batched_score<X>(model), process, kind};
}

/// Classifier-free guidance (Ho & Salimans 2022): s = s_uncond + w (s_cond − s_uncond); w = 1 is the conditional
/// score, w = 0 the unconditional one. Batched always; also per-particle when both parts are, so it works with
/// every sampler.
template <class Unconditional, class Conditional>
struct GuidedScore {
  Unconditional unconditional;  ///< s_uncond
  Conditional conditional;      ///< s_cond
  double weight;                ///< the guidance weight w
  /// Per particle (when both parts are per-particle scores on X).
  template <class X>
    requires(ParticleScore<Unconditional, X>&& ParticleScore<Conditional, X> && !BatchedScore<Unconditional>)
  X operator()(const X& x, double t) const {
    const X u = unconditional(x, t);
    const X c = conditional(x, t);
    return X(u + weight * (c - u));
  }
  /// Batched (either part may be per-particle on Eigen::VectorXd states).
  Eigen::MatrixXd operator()(const Eigen::MatrixXd& x, const Eigen::VectorXd& t) const {
    const Eigen::MatrixXd u = detail::batched_view<Eigen::VectorXd>(unconditional)(x, t);
    const Eigen::MatrixXd c = detail::batched_view<Eigen::VectorXd>(conditional)(x, t);
    return u + weight * (c - u);
  }
};

/// s_uncond + w (s_cond − s_uncond); throws for a non-finite w.
template <class Unconditional, class Conditional>
GuidedScore<Unconditional, Conditional> classifier_free_guidance(Unconditional unconditional, Conditional conditional,
                                                                 double weight) {
  detail::require(std::isfinite(weight), "sdekit::classifier_free_guidance", "weight", weight, "must be finite");
  return {std::move(unconditional), std::move(conditional), weight};
}

}  // namespace sdekit
