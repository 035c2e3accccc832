#pragma once
// Batched problems: drift and diffusion written over a block of particles, sdekit::StateBlock X (n×B, one column per
// particle, each component a contiguous row), so that one call does the arithmetic of B particles with vector
// instructions. The library recognises them by signature (core/problem.hpp):
//   a(X, t, out)                       batched drift, out n×B
//   b(X, t, out)                       batched diagonal diffusion, out n×B (component i of particle j in out(i, j))
//   batched_noise_term(g, m)           batched general noise: g(X, t, dW, out) writes b(X_j, t)·dW_j into out.col(j),
//                                      dW m×B
// out arrives sized n×B and must be filled, not resized. Steppers with a batched form provide
//   do_step_block(problem, X, t, h, dW, SqrtStep{√h}, BlockBuffers&)
// advancing every column of X by one step with the Wiener increments dW (m×B, m = n for diagonal noise). Each
// element of a batched step does the arithmetic of the stepper's per-particle do_step, in the same order, so a
// batched problem computing the same formula as a per-particle one gives the same bits.
//
// Column-determinism contract: column j of every output must depend only on column j of X (and of dW) and on t —
// no reductions across columns, no batch statistics. The ensemble engine relies on it: it redoes a failed block
// step one column at a time to find the failed particles, and drops dead particles from the block, so results are
// bitwise the same for any block size and thread count only under this contract.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/core/stepper.hpp>

#include <Eigen/Core>

#include <string_view>

namespace sdekit {

/// The work blocks of one batched step, kept by the caller from step to step (the ensemble engine keeps one per
/// block of particles): a stepper sizes the ones it uses at the first step, so later steps of the same width
/// allocate nothing.
struct BlockBuffers {
  StateBlock a;          ///< a(X, t)
  StateBlock b;          ///< b(X, t), diagonal noise
  StateBlock noise;      ///< b(X, t)·dW
  StateBlock next;       ///< the new states, or a stage (predictor, support point)
  StateBlock shifted;    ///< a shifted state (derivative-free Milstein)
  StateBlock b_shifted;  ///< b at the shifted state, or ∂b/∂x
  StateBlock a1;         ///< a at the predictor (Heun)
  StateBlock b1;         ///< b at the predictor (Heun)
  StateBlock noise1;     ///< b at the predictor times dW (Heun)
};

namespace detail {

/// m sized rows×cols; resizes (allocates) only when the shape changes.
inline StateBlock& fit(StateBlock& m, Eigen::Index rows, Eigen::Index cols) {
  if (m.rows() != rows || m.cols() != cols) m.resize(rows, cols);
  return m;
}

/// Throws std::invalid_argument unless a batched functor (`name`) left out with the shape of x.
inline void check_block_shape(const StateBlock& out, const StateBlock& x, double t, std::string_view name) {
  if (out.rows() != x.rows() || out.cols() != x.cols())
    throw_invalid("sdekit::do_step_block", "shape of " + std::string(name),
                  to_text(out.rows()) + "×" + to_text(out.cols()),
                  "must stay " + to_text(x.rows()) + "×" + to_text(x.cols()) + " (at t = " + to_text(t) + ")");
}

/// a(X, t) into out (sized first).
template <class P>
void block_drift(const P& problem, const StateBlock& x, double t, StateBlock& out) {
  problem.drift(x, t, fit(out, x.rows(), x.cols()));
  check_block_shape(out, x, t, "a(X, t, out)");
}

/// b(X, t) into out for batched diagonal noise.
template <class P>
void block_diffusion(const P& problem, const StateBlock& x, double t, StateBlock& out) {
  problem.diffusion(x, t, fit(out, x.rows(), x.cols()));
  check_block_shape(out, x, t, "b(X, t, out)");
}

/// ∂b/∂x (componentwise, diagonal noise) into out, from a batched diffusion derivative db(X, t, out).
template <class P>
void block_diffusion_derivative(const P& problem, const StateBlock& x, double t, StateBlock& out) {
  problem.diffusion_derivative(x, t, fit(out, x.rows(), x.cols()));
  check_block_shape(out, x, t, "the diffusion derivative db(X, t, out)");
}

/// The noise term b(X, t)·dW into noise, column by column: the componentwise product with diagonal noise (b in
/// b_work), the batched noise term with general noise.
template <class P>
void block_noise(const P& problem, const StateBlock& x, double t, const StateBlock& dW, StateBlock& b_work,
                 StateBlock& noise) {
  if constexpr (is_batched_noise_term_v<decltype(P::diffusion)>) {
    problem.diffusion(x, t, dW, fit(noise, x.rows(), x.cols()));
    check_block_shape(noise, x, t, "the noise term's out");
  } else {
    block_diffusion(problem, x, t, b_work);
    fit(noise, x.rows(), x.cols()).array() = b_work.array() * dW.array();
  }
}

/// True when the batched diffusion derivative of P (with_diffusion_derivative) is given as db(X, t, out).
template <class P, class X>
inline constexpr bool has_block_derivative_v =
    P::has_diffusion_derivative&& block_callable<decltype(P::diffusion_derivative), X>;

}  // namespace detail

/// S offers do_step_block(problem, X, t, h, dW, SqrtStep, BlockBuffers&) for the batched problem P on states X.
template <class S, class P, class X>
concept BlockSteppingCall = requires(const S& s, const P& p, StateBlock& x, double t, double h, const StateBlock& dW,
                                     SqrtStep root, BlockBuffers& w) {
  s.template do_step_block<P, X>(p, x, t, h, dW, root, w);
};

/// Compile-time check that stepper S can step the batched problem P (states X) a block at a time: the problem, the
/// traits, a batched form for this problem, then supports<P, X>() — each failure one static_assert.
template <class S, class P, class X>
constexpr bool check_block_stepper() {
  if constexpr (!check_problem<P, X>()) {
    return false;
  } else if constexpr (!batched_problem_v<P, X>) {
    static_assert(batched_problem_v<P, X>, "sdekit: check_block_stepper takes batched problems");
    return false;
  } else if constexpr (!StepperTraits<S, P, X>) {
    return detail::check_traits<S, P, X>();
  } else if constexpr (!BlockSteppingCall<S, P, X>) {
    static_assert(BlockSteppingCall<S, P, X>,
                  "sdekit: this stepper has no batched form for this problem; batched problems (functors on a "
                  "sdekit::StateBlock of particles) are stepped by sdekit::EulerMaruyama and sdekit::StochasticHeun "
                  "(diagonal or general noise) and sdekit::Milstein (diagonal noise)");
    return false;
  } else {
    return detail::check_support<S, P, X>();
  }
}

}  // namespace sdekit
