#pragma once
// How noise sources draw a step's random variables: the law of the increments (Gaussian, or the discrete variables
// weak schemes may use) and the algorithm of the Lévy areas. Kept apart from the noise sources so that options
// (EnsembleOptions) can name them without the generators.

namespace sdekit {

/// The law of the random variables a noise source puts into the increments. Weak schemes need only the first moments
/// of ΔW to match (Kloeden & Platen 1992, §14.2): three-point variables √(3h)·{−1, 0, 1} with probabilities
/// 1/6, 2/3, 1/6 match them up to order 5 (enough for weak order 2), two-point ±√h up to order 3 (weak order 1).
/// Discrete laws are cheaper to draw and have no tails; strong convergence is lost.
enum class IncrementLaw {
  gaussian,     ///< ΔW = √h·Z, the Brownian increments (the default everywhere)
  three_point,  ///< ΔW = √(3h)·{−1, 0, 1} w.p. 1/6, 2/3, 1/6; the extra variables two-point ±1
  two_point,    ///< ΔW = ±√h w.p. ½ each; the extra variables two-point ±1
};

/// How a noise source draws the Lévy areas of a step (only increments of type LevyAreaIncrement have them). The
/// truncated algorithms choose their number of Fourier terms p from the step h and the number m of Wiener processes
/// so that the root-mean-square error of every A_jk is at most h^{3/2}, which keeps Milstein's strong order 1
/// (Kloeden & Platen 1992, §10.3; Mrongowius & Rößler 2022, Thm. 4.3).
enum class LevyAreaAlgorithm {
  /// Davie's approximation H_j ΔW_k − ΔW_j H_k + (h/√12) λ_jk: the right conditional mean and variance given
  /// (ΔW, H) and one normal per pair, but an L² error of order h per step, so Milstein only reaches strong order ½.
  davie,
  /// The Fourier expansion of the Brownian bridge truncated at p = ⌈1/(2π² h)⌉ terms with the tail's ΔW-part
  /// replaced by one normal per process (Milstein 1988; Kloeden, Platen & Wright 1992): 2mp + m normals, and
  /// Var A_jk = h²/4 − h² ψ'(p+1)/(2π²) with ψ'(p+1) = Σ_{r>p} 1/r² (the truncated part the papers state).
  fourier,
  /// The same Fourier part with Mrongowius & Rößler's (2022) tail: a Gaussian with the exact conditional covariance
  /// of the left-out terms given ΔW, so p = ⌈√m/(√12 π √h)⌉ terms suffice: 2mp + m + m(m−1)/2 normals, and the
  /// unconditional variance h²/4 is exact.
  mrongowius_roessler,
};

/// The Lévy-area algorithm noise sources use unless told otherwise: the one that keeps Milstein at strong order 1 with
/// the fewest normals (O(h^{-1/2}) per step against Fourier's O(h^{-1})).
inline constexpr LevyAreaAlgorithm default_levy_area = LevyAreaAlgorithm::mrongowius_roessler;

}  // namespace sdekit
