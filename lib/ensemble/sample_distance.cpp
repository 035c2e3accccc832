#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/ensemble/sample_distance.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace sdekit {

namespace {

Eigen::MatrixXd valid_columns(const Eigen::MatrixXd& m, const char* where, const char* name) {
  std::vector<Eigen::Index> keep;
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    if (!m.col(j).hasNaN()) keep.push_back(j);
  detail::require(keep.size() >= 2, where, std::string("valid columns of ") + name, keep.size(), "must be at least 2");
  Eigen::MatrixXd out(m.rows(), static_cast<Eigen::Index>(keep.size()));
  for (std::size_t k = 0; k < keep.size(); ++k) out.col(static_cast<Eigen::Index>(k)) = m.col(keep[k]);
  return out;
}

// Mean of ‖x_i − y_j‖ over all pairs (or i ≠ j when `same`), by rows summed in row order: thread-independent.
double mean_pair_distance(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, bool same) {
  const Eigen::Index n = x.cols(), m = y.cols();
  std::vector<double> rows(static_cast<std::size_t>(n), 0.0);
#pragma omp parallel for schedule(dynamic, 16)
  for (Eigen::Index i = 0; i < n; ++i) {
    double s = 0;
    for (Eigen::Index j = 0; j < m; ++j) s += (x.col(i) - y.col(j)).norm();
    rows[static_cast<std::size_t>(i)] = s;
  }
  double total = 0;
  for (double r : rows) total += r;
  const double pairs =
      same ? static_cast<double>(n) * static_cast<double>(n - 1) : static_cast<double>(n) * static_cast<double>(m);
  return total / pairs;
}

}  // namespace

double energy_distance(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  constexpr const char* where = "sdekit::energy_distance";
  detail::require(a.rows() == b.rows(), where, "b.rows()", b.rows(),
                  "must equal a.rows() = " + std::to_string(a.rows()));
  const Eigen::MatrixXd x = valid_columns(a, where, "a"), y = valid_columns(b, where, "b");
  return 2.0 * mean_pair_distance(x, y, false) - mean_pair_distance(x, x, true) - mean_pair_distance(y, y, true);
}

double sliced_wasserstein(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, std::size_t projections,
                          std::uint64_t seed) {
  constexpr const char* where = "sdekit::sliced_wasserstein";
  detail::require(a.rows() == b.rows(), where, "b.rows()", b.rows(),
                  "must equal a.rows() = " + std::to_string(a.rows()));
  detail::require(projections >= 1, where, "projections", projections, "must be at least 1");
  const Eigen::MatrixXd x = valid_columns(a, where, "a"), y = valid_columns(b, where, "b");
  const Eigen::Index d = x.rows();
  const std::size_t ranks = static_cast<std::size_t>(std::max(x.cols(), y.cols()));
  std::vector<double> w2(projections);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t p = 0; p < projections; ++p) {
    RandomStream rng(seed, p, 7);
    Eigen::VectorXd theta(d);
    for (Eigen::Index i = 0; i < d; ++i) theta[i] = rng.normal();
    theta.normalize();
    Eigen::VectorXd px = x.transpose() * theta, py = y.transpose() * theta;
    std::sort(px.data(), px.data() + px.size());
    std::sort(py.data(), py.data() + py.size());
    double s = 0;
    for (std::size_t r = 0; r < ranks; ++r) {
      const double q = (static_cast<double>(r) + 0.5) / static_cast<double>(ranks);
      const double u = px[static_cast<Eigen::Index>(q * static_cast<double>(px.size()))];
      const double v = py[static_cast<Eigen::Index>(q * static_cast<double>(py.size()))];
      s += (u - v) * (u - v);
    }
    w2[p] = s / static_cast<double>(ranks);
  }
  double total = 0;
  for (double v : w2) total += v;
  return std::sqrt(total / static_cast<double>(projections));
}

}  // namespace sdekit
