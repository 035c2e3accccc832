#pragma once
// Variance-stabilising transforms of a positive series (log, square root, Box–Cox): fit and forecast z = T(y) with
// any model, then bring a Gaussian forecast of z back to the original scale — quantiles and intervals through
// T⁻¹ (T is increasing), mean and sd by quadrature, and the CRPS of the back-transformed law for an outcome y.
#include <sdekit/forecast/forecast.hpp>
#include <sdekit/forecast/state_space.hpp>

#include <span>
#include <vector>

namespace sdekit {

/// An increasing transform z = T(y) and its inverse.
struct Transform {
  /// Which transform.
  enum class Kind {
    identity,  ///< z = y
    log,       ///< z = log y, y > 0
    sqrt,      ///< z = √y, y ≥ 0
    box_cox,   ///< z = (y^λ − 1)/λ (λ ≠ 0) or log y (λ = 0), y > 0
  };
  Kind kind = Kind::identity;  ///< the transform
  double lambda = 1.0;         ///< Box–Cox exponent λ

  /// T(y); throws std::invalid_argument naming "y" outside the domain (NaN stays NaN: a missing value).
  double forward(double y) const;
  /// T⁻¹(z); a z below the image of the domain (Box–Cox with λ > 0: z < −1/λ; sqrt: z < 0) maps to the domain's
  /// lower end 0, the limit of T⁻¹, so a Gaussian law on z becomes a law on y with an atom at 0.
  double inverse(double z) const;
  /// log |dT/dy| at y: adds to a likelihood of z to make it a likelihood of y (for comparing transforms by AIC).
  double log_jacobian(double y) const;
};

/// z = log y.
Transform log_transform();
/// z = √y.
Transform sqrt_transform();
/// Box–Cox with exponent λ (finite; 0 is the log).
Transform box_cox_transform(double lambda);

/// T applied to every value (NaN kept as missing).
std::vector<double> transform_values(const Transform& transform, std::span<const double> values);

/// Σ log |T'(y)| over the non-NaN values: log L(y) = log L(z) + this.
double log_jacobian_sum(const Transform& transform, std::span<const double> values);

/// The law of y = T⁻¹(Z), Z ~ N(mean, sd²), summarised like a forecast point: mean and sd by quadrature, median
/// T⁻¹(mean), interval ends T⁻¹(mean ± z_p sd) for each level.
ForecastPoint back_transform_normal(const Transform& transform, double mean, double sd, std::span<const double> levels,
                                    double time = 0.0);

/// CRPS of the law of T⁻¹(Z), Z ~ N(mean, sd²), for the outcome y on the original scale, by quadrature of the
/// quantile form 2∫(1{y < Q(p)} − p)(Q(p) − y) dp (relative error below 1e-8; for the log the closed form of
/// Baran & Lerch 2015 agrees). Box–Cox with λ < 0 maps z → −1/λ to y → ∞, so the CRPS and moments of the
/// exact law are infinite; the normal's mass above −1/λ − sd is left out of them here and in back_transform_normal
/// (negligible unless the forecast comes near −1/λ).
double crps_transformed_normal(const Transform& transform, double mean, double sd, double y);

/// A state-space forecast of z = T(y) (first observed component) brought back to the original scale.
Forecast back_transform(const Transform& transform, const StateSpaceForecast& forecast, double t0,
                        std::span<const double> levels = std::vector<double>{0.5, 0.8, 0.95});

/// An ensemble (or closed-form) forecast of z brought back to the original scale: samples, median and interval ends
/// through T⁻¹ (exact for an increasing T), mean and sd recomputed from the samples (when the forecast has none,
/// from the normal law with its mean and sd).
Forecast back_transform(const Transform& transform, const Forecast& forecast);

}  // namespace sdekit
