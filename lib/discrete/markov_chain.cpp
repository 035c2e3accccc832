// Markov chains: validation of P and Q, and the linear algebra that gives the exact laws the simulations are
// checked against (matrix powers and exponentials, stationary distributions, hitting and absorption).
#include <sdekit/discrete/markov_chain.hpp>

#include <Eigen/LU>

#include <cmath>
#include <limits>
#include <string>

namespace sdekit {
namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

std::string row_name(const char* matrix, Eigen::Index i) { return "row " + std::to_string(i) + " of " + matrix; }

void require_square(const Eigen::MatrixXd& m, const char* name, const char* where) {
  detail::require(m.rows() >= 1, where, std::string(name) + ".rows()", m.rows(), "must be at least 1");
  detail::require(
      m.rows() == m.cols(), where, std::string(name) + ".cols()", m.cols(),
      "must equal " + std::string(name) + ".rows() = " + std::to_string(m.rows()) + " (" + name + " must be square)");
}

// A probability vector: finite, non-negative entries summing to 1 within 1e-12. `what` names it in messages.
void require_probability_row(const Eigen::Ref<const Eigen::RowVectorXd>& row, const std::string& what,
                             const char* where) {
  for (Eigen::Index j = 0; j < row.size(); ++j)
    detail::require(std::isfinite(row[j]) && row[j] >= 0, where, "entry " + std::to_string(j) + " of " + what, row[j],
                    "must be a non-negative finite probability");
  const double sum = row.sum();
  detail::require(std::abs(sum - 1.0) <= 1e-12, where, "sum of " + what, sum, "must be 1 within 1e-12");
}

std::vector<char> target_mask(const std::vector<std::size_t>& targets, std::size_t n, const char* where) {
  detail::require(!targets.empty(), where, "targets.size()", targets.size(), "must be at least 1");
  std::vector<char> mask(n, 0);
  for (std::size_t k = 0; k < targets.size(); ++k) {
    detail::require(targets[k] < n, where, "targets[" + std::to_string(k) + "]", targets[k],
                    "must be a state below " + std::to_string(n));
    mask[targets[k]] = 1;
  }
  return mask;
}

// π with π A = 0 (A = P − I or Q) and Σπ = 1: one equation of Aᵀ is redundant, so it is replaced by Σπ = 1.
Eigen::VectorXd null_distribution(const Eigen::MatrixXd& a, const char* where, const char* name) {
  const Eigen::Index n = a.rows();
  Eigen::MatrixXd system = a.transpose();
  system.row(n - 1).setOnes();
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(n);
  rhs[n - 1] = 1.0;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(system);
  lu.setThreshold(1e-10);
  detail::require(
      lu.rank() == n, where, std::string("rank of the stationary equations for ") + name, lu.rank(),
      "must be " + std::to_string(n) + ": the stationary distribution is not unique (more than one closed class)");
  Eigen::VectorXd pi = lu.solve(rhs).cwiseMax(0.0);
  return pi / pi.sum();
}

Eigen::MatrixXd restrict(const Eigen::MatrixXd& m, const std::vector<std::size_t>& rows,
                         const std::vector<std::size_t>& cols) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(cols.size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < cols.size(); ++j)
      out(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
          m(static_cast<Eigen::Index>(rows[i]), static_cast<Eigen::Index>(cols[j]));
  return out;
}

}  // namespace

std::vector<double> detail::cumulative_rows(const Eigen::MatrixXd& p) {
  const Eigen::Index n = p.rows();
  std::vector<double> c(static_cast<std::size_t>(n * p.cols()));
  for (Eigen::Index i = 0; i < n; ++i) {
    double sum = 0;
    Eigen::Index last = 0;
    for (Eigen::Index j = 0; j < p.cols(); ++j) {
      sum += p(i, j);
      c[static_cast<std::size_t>(i * p.cols() + j)] = sum;
      if (p(i, j) > 0) last = j;
    }
    for (Eigen::Index j = last; j < p.cols(); ++j) c[static_cast<std::size_t>(i * p.cols() + j)] = 2.0;
  }
  return c;
}

MarkovChain::MarkovChain(Eigen::MatrixXd p) : p_(std::move(p)) {
  constexpr const char* where = "sdekit::MarkovChain";
  require_square(p_, "P", where);
  for (Eigen::Index i = 0; i < p_.rows(); ++i) require_probability_row(p_.row(i), row_name("P", i), where);
  cumulative_ = detail::cumulative_rows(p_);
}

Eigen::MatrixXd MarkovChain::power(std::uint64_t n) const {
  Eigen::MatrixXd result = Eigen::MatrixXd::Identity(p_.rows(), p_.cols());
  Eigen::MatrixXd base = p_;
  while (n > 0) {
    if (n & 1u) result = result * base;
    n >>= 1;
    if (n > 0) base = base * base;
  }
  return result;
}

Eigen::VectorXd MarkovChain::distribution_after(const Eigen::VectorXd& p0, std::uint64_t n) const {
  constexpr const char* where = "sdekit::MarkovChain::distribution_after";
  detail::require(p0.size() == p_.rows(), where, "p0.size()", p0.size(),
                  "must equal the number of states " + std::to_string(p_.rows()));
  require_probability_row(p0.transpose(), "p0", where);
  return power(n).transpose() * p0;
}

Eigen::VectorXd MarkovChain::stationary_distribution() const {
  return null_distribution(p_ - Eigen::MatrixXd::Identity(p_.rows(), p_.cols()),
                           "sdekit::MarkovChain::stationary_distribution", "P");
}

Eigen::VectorXd MarkovChain::hitting_probabilities(const std::vector<std::size_t>& targets) const {
  const std::size_t n = states();
  const std::vector<char> target = target_mask(targets, n, "sdekit::MarkovChain::hitting_probabilities");
  // States that can reach a target at all: backward search over edges with p_ij > 0.
  std::vector<char> reaches = target;
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (reaches[i]) continue;
      for (std::size_t j = 0; j < n && !reaches[i]; ++j)
        if (reaches[j] && p_(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) > 0) reaches[i] = 1;
      changed = changed || reaches[i];
    }
  }
  std::vector<std::size_t> open, hit;
  for (std::size_t i = 0; i < n; ++i) {
    if (target[i]) hit.push_back(i);
    else if (reaches[i]) open.push_back(i);
  }
  Eigen::VectorXd h = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(n));
  for (std::size_t i : hit) h[static_cast<Eigen::Index>(i)] = 1.0;
  if (open.empty()) return h;
  // h_S = P_SS h_S + P_ST 1 on the states S that may reach a target; I − P_SS is invertible there.
  const Eigen::MatrixXd a =
      Eigen::MatrixXd::Identity(static_cast<Eigen::Index>(open.size()), static_cast<Eigen::Index>(open.size())) -
      restrict(p_, open, open);
  const Eigen::VectorXd rhs = restrict(p_, open, hit).rowwise().sum();
  const Eigen::VectorXd hs = a.fullPivLu().solve(rhs);
  for (std::size_t k = 0; k < open.size(); ++k)
    h[static_cast<Eigen::Index>(open[k])] = std::min(1.0, std::max(0.0, hs[static_cast<Eigen::Index>(k)]));
  return h;
}

Eigen::VectorXd MarkovChain::expected_hitting_times(const std::vector<std::size_t>& targets) const {
  const std::size_t n = states();
  const std::vector<char> target = target_mask(targets, n, "sdekit::MarkovChain::expected_hitting_times");
  const Eigen::VectorXd h = hitting_probabilities(targets);
  // Only states that hit the targets almost surely have a finite expectation; their successors all do too.
  std::vector<std::size_t> sure;
  Eigen::VectorXd k = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(n), infinity);
  for (std::size_t i = 0; i < n; ++i) {
    if (target[i]) k[static_cast<Eigen::Index>(i)] = 0.0;
    else if (h[static_cast<Eigen::Index>(i)] >= 1.0 - 1e-9) sure.push_back(i);
  }
  if (sure.empty()) return k;
  const auto m = static_cast<Eigen::Index>(sure.size());
  const Eigen::MatrixXd a = Eigen::MatrixXd::Identity(m, m) - restrict(p_, sure, sure);
  const Eigen::VectorXd ks = a.fullPivLu().solve(Eigen::VectorXd::Ones(m));
  for (std::size_t i = 0; i < sure.size(); ++i)
    k[static_cast<Eigen::Index>(sure[i])] = ks[static_cast<Eigen::Index>(i)];
  return k;
}

std::vector<std::size_t> MarkovChain::absorbing_states() const {
  std::vector<std::size_t> out;
  for (Eigen::Index i = 0; i < p_.rows(); ++i)
    if (p_(i, i) >= 1.0 - 1e-12) out.push_back(static_cast<std::size_t>(i));
  return out;
}

std::vector<std::size_t> MarkovChain::transient_states() const {
  std::vector<std::size_t> out;
  for (Eigen::Index i = 0; i < p_.rows(); ++i)
    if (p_(i, i) < 1.0 - 1e-12) out.push_back(static_cast<std::size_t>(i));
  return out;
}

Eigen::MatrixXd MarkovChain::fundamental_matrix() const {
  constexpr const char* where = "sdekit::MarkovChain::fundamental_matrix";
  const std::vector<std::size_t> absorbing = absorbing_states();
  detail::require(!absorbing.empty(), where, "number of absorbing states", 0, "must be at least 1");
  const Eigen::VectorXd h = hitting_probabilities(absorbing);
  for (Eigen::Index i = 0; i < h.size(); ++i)
    detail::require(h[i] >= 1.0 - 1e-9, where, "absorption probability of state " + std::to_string(i), h[i],
                    "must be 1 (every transient state must be absorbed)");
  const std::vector<std::size_t> transient = transient_states();
  const auto m = static_cast<Eigen::Index>(transient.size());
  return (Eigen::MatrixXd::Identity(m, m) - restrict(p_, transient, transient)).fullPivLu().inverse();
}

Eigen::VectorXd MarkovChain::expected_absorption_times() const {
  const Eigen::MatrixXd fundamental = fundamental_matrix();
  const std::vector<std::size_t> transient = transient_states();
  const Eigen::VectorXd t = fundamental.rowwise().sum();
  Eigen::VectorXd out = Eigen::VectorXd::Zero(p_.rows());
  for (std::size_t i = 0; i < transient.size(); ++i)
    out[static_cast<Eigen::Index>(transient[i])] = t[static_cast<Eigen::Index>(i)];
  return out;
}

Eigen::MatrixXd MarkovChain::absorption_probabilities() const {
  const Eigen::MatrixXd fundamental = fundamental_matrix();
  const std::vector<std::size_t> transient = transient_states();
  const std::vector<std::size_t> absorbing = absorbing_states();
  const Eigen::MatrixXd b = fundamental* restrict(p_, transient, absorbing);
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(p_.rows(), static_cast<Eigen::Index>(absorbing.size()));
  for (std::size_t k = 0; k < absorbing.size(); ++k)
    out(static_cast<Eigen::Index>(absorbing[k]), static_cast<Eigen::Index>(k)) = 1.0;
  for (std::size_t i = 0; i < transient.size(); ++i)
    out.row(static_cast<Eigen::Index>(transient[i])) = b.row(static_cast<Eigen::Index>(i));
  return out;
}

ContinuousMarkovChain::ContinuousMarkovChain(Eigen::MatrixXd q) : q_(std::move(q)) {
  constexpr const char* where = "sdekit::ContinuousMarkovChain";
  require_square(q_, "Q", where);
  const Eigen::Index n = q_.rows();
  Eigen::MatrixXd jump = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    double largest = 0;
    for (Eigen::Index j = 0; j < n; ++j) {
      detail::require(std::isfinite(q_(i, j)), where, "entry " + std::to_string(j) + " of " + row_name("Q", i),
                      q_(i, j), "must be finite");
      if (i != j)
        detail::require(q_(i, j) >= 0, where, "entry " + std::to_string(j) + " of " + row_name("Q", i), q_(i, j),
                        "must be a non-negative rate (off the diagonal)");
      largest = std::max(largest, std::abs(q_(i, j)));
    }
    const double sum = q_.row(i).sum();
    detail::require(std::abs(sum) <= 1e-12 * std::max(1.0, largest), where, "sum of " + row_name("Q", i), sum,
                    "must be 0 within 1e-12 of its largest entry");
    const double rate = -q_(i, i);
    if (rate > 0) {
      for (Eigen::Index j = 0; j < n; ++j)
        if (j != i) jump(i, j) = q_(i, j) / rate;
    } else {
      jump(i, i) = 1.0;
    }
  }
  jump_cumulative_ = detail::cumulative_rows(jump);
}

Eigen::MatrixXd ContinuousMarkovChain::transition_matrix(double t) const {
  constexpr const char* where = "sdekit::ContinuousMarkovChain::transition_matrix";
  detail::require(std::isfinite(t) && t >= 0, where, "t", t, "must be non-negative and finite");
  const Eigen::Index n = q_.rows();
  Eigen::MatrixXd a = q_ * t;
  // Scale so that ‖A‖∞ ≤ 1/2, sum 30 Taylor terms (error below 2^-30/30!), square back.
  const double norm = a.cwiseAbs().rowwise().sum().maxCoeff();
  int squarings = 0;
  if (norm > 0.5) squarings = static_cast<int>(std::ceil(std::log2(norm / 0.5)));
  a /= std::ldexp(1.0, squarings);
  Eigen::MatrixXd term = Eigen::MatrixXd::Identity(n, n);
  Eigen::MatrixXd sum = term;
  for (int k = 1; k <= 30; ++k) {
    term = term * a / static_cast<double>(k);
    sum += term;
  }
  for (int s = 0; s < squarings; ++s) sum = sum * sum;
  return sum;
}

Eigen::VectorXd ContinuousMarkovChain::distribution_at(const Eigen::VectorXd& p0, double t) const {
  constexpr const char* where = "sdekit::ContinuousMarkovChain::distribution_at";
  detail::require(p0.size() == q_.rows(), where, "p0.size()", p0.size(),
                  "must equal the number of states " + std::to_string(q_.rows()));
  require_probability_row(p0.transpose(), "p0", where);
  return transition_matrix(t).transpose() * p0;
}

Eigen::VectorXd ContinuousMarkovChain::stationary_distribution() const {
  return null_distribution(q_, "sdekit::ContinuousMarkovChain::stationary_distribution", "Q");
}

MarkovChain ContinuousMarkovChain::jump_chain() const {
  const Eigen::Index n = q_.rows();
  Eigen::MatrixXd p = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double rate = -q_(i, i);
    if (rate <= 0) {
      p(i, i) = 1.0;
      continue;
    }
    for (Eigen::Index j = 0; j < n; ++j)
      if (j != i) p(i, j) = q_(i, j) / rate;
    // Rounding may leave the row 1 ± ulp; put the remainder on the largest entry so P validates.
    Eigen::Index big = 0;
    p.row(i).maxCoeff(&big);
    p(i, big) += 1.0 - p.row(i).sum();
  }
  return MarkovChain(p);
}

CategoricalSampler::CategoricalSampler(const Eigen::VectorXd& p0) {
  constexpr const char* where = "sdekit::categorical_sampler";
  detail::require(p0.size() >= 1, where, "p0.size()", p0.size(), "must be at least 1");
  require_probability_row(p0.transpose(), "p0", where);
  cumulative_ = detail::cumulative_rows(p0.transpose());
}

std::vector<double> simulate_hitting_times(const MarkovChain& chain, double x0, const std::vector<std::size_t>& targets,
                                           std::uint64_t max_steps, const EnsembleOptions& options) {
  constexpr const char* where = "sdekit::simulate_hitting_times";
  const std::size_t n = chain.states();
  const std::vector<char> target = target_mask(targets, n, where);
  const std::size_t start = detail::state_index(x0, n, where);
  detail::require(max_steps >= 1, where, "max_steps", max_steps, "must be at least 1");
  EnsembleOptions o = options;
  o.t0 = 0;
  o.t1 = static_cast<double>(max_steps);
  o.dt = 1;
  o.save_times = {o.t1};
  o.keep_paths.clear();
  o.distribution = detail::collecting_all(o.distribution);  // every process returns every particle's time
  o.statistics = {};  // the hitting times are every particle's state: always stored
  // State (position, first hitting time or −1): the time is recorded when the path first enters a target.
  const Eigen::Vector2d initial(x0, target[start] ? 0.0 : -1.0);
  auto advance = [&](Eigen::Vector2d& x, double, double t_to, RandomStream& rng) {
    if (x[1] >= 0) return;
    double position = x[0];
    chain.step(position, 0, rng);
    x[0] = position;
    if (target[static_cast<std::size_t>(position)]) x[1] = t_to;
  };
  const auto result = simulate_process_ensemble(initial, advance, o);
  std::vector<double> times = result.component_values(0, 1);
  for (double& t : times)
    if (!(t >= 0)) t = infinity;
  return times;
}

}  // namespace sdekit
