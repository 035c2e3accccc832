#pragma once
// Residual diagnostics of a fitted model: the Ljung–Box portmanteau test of the standardised one-step innovations
// (KalmanResult::standardised_innovations), which are independent N(0, 1) when the model is right.
#include <cstddef>
#include <span>

namespace sdekit {

/// The Ljung–Box statistic Q = n(n + 2) Σ_{k=1..lags} r_k² / (n − k) and its χ² p-value.
struct LjungBox {
  double statistic = 0.0;              ///< Q
  double p_value = 1.0;                ///< P(χ²_df > Q)
  std::size_t degrees_of_freedom = 0;  ///< lags − fitted_parameters
  std::size_t values = 0;              ///< n: the non-NaN residuals used
};

/// Ljung–Box test of `residuals` (NaN entries — missing or diffuse steps — are left out) over `lags` lags, with
/// lags − fitted_parameters degrees of freedom (pass the ARMA-type parameter count to correct for fitting, or 0).
LjungBox ljung_box(std::span<const double> residuals, std::size_t lags, std::size_t fitted_parameters = 0);

/// P(χ²_df > x), the regularised upper incomplete gamma function Q(df/2, x/2).
double chi_squared_survival(double x, double degrees_of_freedom);

}  // namespace sdekit
