#pragma once
// Reaction networks, the biologist's view of a jump process: species with integer counts, reactions with
// stoichiometry ("S + I -> 2 I") and propensities (mass-action helpers or any functor a(x)). Three ways to simulate
// the same network, all on the ensemble engine with the particle's own random stream (bitwise reproducible for any
// thread count):
//   exact     Gillespie's direct method (simulate_ssa);
//   approx.   tau-leaping with the step-size rule of Cao, Gillespie & Petzold (2006), ε = 0.03, critical reactions
//             and rejection of negative counts (Cao, Gillespie & Petzold 2005), SSA steps when τ is small
//             (simulate_tau_leaping);
//   diffusion the chemical Langevin equation dX = Σ_j ν_j a_j(X) dt + Σ_j ν_j √a_j(X) dW_j, an SDE with general
//             noise (one Wiener process per reaction) integrated by the solvers/ schemes (simulate_cle); propensities
//             are clamped at 0 (see chemical_langevin).
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/ensemble/simulate_controlled.hpp>
#include <sdekit/ensemble/run_control.hpp>
#include <sdekit/detail/indexed_heap.hpp>
#include <sdekit/detail/run_budget.hpp>
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/discrete/jump_options.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdekit {

/// A mass-action rate constant k: propensity k · Π_s C(x_s, ν_s) over the reactants s with coefficients ν_s, i.e.
/// k for ∅ → …, k·A for A → …, k·A·B for A + B → …, k·A(A−1)/2 for 2A → ….
struct MassAction {
  double k = 0;  ///< the rate constant
};

/// The mass-action propensity with rate constant k (see MassAction).
inline MassAction mass_action(double k) { return {k}; }

/// One reaction: a name, an equation such as "S + I -> 2 I" ("0" or nothing for no species), and its propensity:
/// mass_action(k) or any functor a(x) of the state (an Eigen vector of counts in species order).
template <class Propensity>
struct Reaction {
  std::string name;       ///< used in error messages and reports
  std::string equation;   ///< "reactants -> products", terms "[coefficient] species" joined by '+'
  Propensity propensity;  ///< mass_action(k) or a functor a(x) ≥ 0
};

/// A reaction named `name` with the given equation and propensity.
template <class Propensity>
Reaction<Propensity> reaction(std::string name, std::string equation, Propensity propensity) {
  return {std::move(name), std::move(equation), std::move(propensity)};
}

/// Reactants and products of a reaction as (species index, coefficient), sorted by species.
struct Stoichiometry {
  std::vector<std::pair<std::size_t, int>> reactants;  ///< consumed: (species, coefficient)
  std::vector<std::pair<std::size_t, int>> products;   ///< produced: (species, coefficient)
};

/// A Poisson(mean) draw from the stream: inversion below mean 10, Hörmann's PTRS rejection above (exact both).
std::uint64_t poisson(RandomStream& rng, double mean);

/// Tuning of tau-leaping (the defaults are those of Cao, Gillespie & Petzold 2006).
struct TauLeapingOptions {
  double epsilon = 0.03;        ///< bound on the relative change of propensities over a leap
  int critical_threshold = 10;  ///< a reaction is critical when it can fire fewer times than this
  double ssa_threshold = 10;    ///< do SSA steps instead when τ < ssa_threshold / a0
  int ssa_steps = 100;          ///< how many SSA steps then
};

/// Which exact algorithm simulate_ssa runs; both sample the same law (with different draws).
enum class SsaMethod {
  automatic,     ///< direct below next_reaction_threshold reactions, next reaction from there on
  direct,        ///< Gillespie's direct method: O(R) per event, two draws per event
  next_reaction  ///< Gibson & Bruck's next reaction method: O(log R + dependents) per event, one draw per event
};

/// From how many reactions SsaMethod::automatic uses the next reaction method. The direct method's cost per event
/// grows with R (a sum and a search over all propensities), the next reaction method's with log R; on the
/// 100-reaction ring of bench/case_ssa_ring.cpp the next reaction method is about 4× faster. 24 is a conservative
/// choice, not a measured crossover.
inline constexpr int next_reaction_threshold = 24;

/// What tau-leaping did, summed over runs: leaps taken, leaps rejected because a count would turn negative (then
/// retried with half the step), and exact SSA steps taken where leaping would have moved only a few events at once.
/// The sums are over whole runs and do not depend on the thread count.
struct TauLeapingDiagnostics {
  std::uint64_t leaps = 0;           ///< accepted leaps
  std::uint64_t rejected_leaps = 0;  ///< leaps rejected and halved
  std::uint64_t exact_steps = 0;     ///< reactions fired by exact (SSA) steps

  /// Adds another count, atomically (runs on several threads add to one total).
  void add(const TauLeapingDiagnostics& other) {
    std::atomic_ref<std::uint64_t>(leaps).fetch_add(other.leaps, std::memory_order_relaxed);
    std::atomic_ref<std::uint64_t>(rejected_leaps).fetch_add(other.rejected_leaps, std::memory_order_relaxed);
    std::atomic_ref<std::uint64_t>(exact_steps).fetch_add(other.exact_steps, std::memory_order_relaxed);
  }
};

namespace detail {

/// Everything about a network that does not depend on its propensity types; built and validated in lib/.
struct NetworkLayout {
  std::vector<std::string> species;          ///< species names
  std::vector<std::string> reactions;        ///< reaction names
  std::vector<double> initial_counts;        ///< initial count per species
  std::vector<Stoichiometry> stoichiometry;  ///< per reaction
  Eigen::MatrixXd net_change;                ///< ν, species × reactions
  std::vector<int> highest_order;            ///< per species: highest order of a reaction it is a reactant of (0: none)
  std::vector<int> highest_order_coefficient;  ///< per species: how many of it that reaction consumes
};

/// Parses "reactants -> products" against the species names; throws naming the reaction and the unknown species.
Stoichiometry parse_reaction(std::string_view equation, const std::vector<std::string>& species,
                             const std::string& reaction);

/// Validates species, initial counts and reaction names and parses every equation.
NetworkLayout make_network_layout(const std::vector<std::string>& species, const std::vector<double>& initial_counts,
                                  const std::vector<std::string>& reaction_names,
                                  const std::vector<std::string>& equations);

/// The mass-action propensity bound to its reactants: k · Π_s C(x_s, ν_s) = (k / Π_s ν_s!) · Π_s x_s (x_s − 1) ⋯ (x_s −
/// ν_s + 1).
template <int N>
struct MassActionPropensity {
  double k_over_factorials = 0;      // k / Π_s ν_s!, so the event loop has no division
  int count = 0;                     // reactant species
  std::array<int, 4> species{};      // their indices
  std::array<int, 4> coefficient{};  // their coefficients
  double operator()(const Eigen::Matrix<double, N, 1>& x) const {
    double a = k_over_factorials;
    for (int r = 0; r < count; ++r) {
      const double xs = x[species[static_cast<std::size_t>(r)]];
      a *= xs;
      // The falling factorial is 0 for whole x < ν: a reaction never fires without its reactants.
      for (int c = 1; c < coefficient[static_cast<std::size_t>(r)]; ++c) a *= xs - c;
    }
    return a;
  }
};

template <class P, int N>
struct bound_propensity {
  using type = P;
};
template <int N>
struct bound_propensity<MassAction, N> {
  using type = MassActionPropensity<N>;
};

template <int N, class P>
auto bind_propensity(const Reaction<P>& r, const Stoichiometry& s) {
  if constexpr (std::is_same_v<P, MassAction>) {
    require(std::isfinite(r.propensity.k) && r.propensity.k >= 0, "sdekit::make_reaction_network",
            "rate constant of reaction '" + r.name + "'", r.propensity.k, "must be non-negative and finite");
    require(s.reactants.size() <= 4, "sdekit::make_reaction_network", "reactant species of reaction '" + r.name + "'",
            s.reactants.size(), "must be at most 4 for a mass-action propensity");
    MassActionPropensity<N> m;
    m.k_over_factorials = r.propensity.k;
    m.count = static_cast<int>(s.reactants.size());
    for (std::size_t i = 0; i < s.reactants.size(); ++i) {
      m.species[i] = static_cast<int>(s.reactants[i].first);
      m.coefficient[i] = s.reactants[i].second;
      for (int c = 2; c <= s.reactants[i].second; ++c) m.k_over_factorials /= c;
    }
    return m;
  } else {
    static_assert(std::is_convertible_v<std::invoke_result_t<const P&, const Eigen::Matrix<double, N, 1>&>, double>,
                  "sdekit::reaction: a propensity must be sdekit::mass_action(k) or callable as a(x) -> double with x "
                  "the network's state (Eigen::Matrix<double, N, 1> of counts in species order)");
    return r.propensity;
  }
}

/// g_i of Cao, Gillespie & Petzold (2006, eq. 27): how fast the propensities of species i's highest-order reaction
/// change relative to x_i. Orders above 3 use g = order (an extension of the published table).
inline double tau_g(int order, int coefficient, double x) {
  const double x1 = std::max(x - 1, 1.0), x2 = std::max(x - 2, 1.0);
  switch (order) {
    case 1:
      return 1.0;
    case 2:
      return coefficient >= 2 ? 2.0 + 1.0 / x1 : 2.0;
    case 3:
      if (coefficient >= 3) return 3.0 + 1.0 / x1 + 2.0 / x2;
      if (coefficient == 2) return 1.5 * (2.0 + 1.0 / x1);
      return 3.0;
    default:
      return static_cast<double>(order);
  }
}

}  // namespace detail

/// A reaction network with N species and one propensity type per reaction; make it with make_reaction_network.
template <int N, class... Propensities>
class ReactionNetwork {
  static_assert(N >= 1, "sdekit::ReactionNetwork: a network needs at least one species");
  static_assert(sizeof...(Propensities) >= 1, "sdekit::ReactionNetwork: a network needs at least one reaction");

 public:
  /// The number of reactions.
  static constexpr int reaction_count = static_cast<int>(sizeof...(Propensities));
  /// A state: the count of each species, in species order, as doubles (exact up to 2^53).
  using State = Eigen::Matrix<double, N, 1>;
  /// The propensities of all reactions at one state.
  using PropensityValues = std::array<double, sizeof...(Propensities)>;

  /// Built by make_reaction_network from a validated layout and the bound propensities.
  ReactionNetwork(detail::NetworkLayout layout, std::tuple<Propensities...> propensities)
      : layout_(std::move(layout)), propensities_(std::move(propensities)) {
    for (int i = 0; i < N; ++i) initial_[i] = layout_.initial_counts[static_cast<std::size_t>(i)];
    for (int j = 0; j < reaction_count; ++j) {
      nu_.col(j) = layout_.net_change.col(j);
      for (int i = 0; i < N; ++i)
        if (nu_(i, j) < 0) consumed_[static_cast<std::size_t>(j)].push_back(i);
    }
    make_dependency_graph();
  }

  const std::vector<std::string>& species() const { return layout_.species; }      ///< species names
  const std::vector<std::string>& reactions() const { return layout_.reactions; }  ///< reaction names
  const State& initial_counts() const { return initial_; }                         ///< initial count per species
  /// The net change ν (species × reactions): column j is what reaction j does to the counts.
  const Eigen::Matrix<double, N, sizeof...(Propensities)>& net_change() const { return nu_; }
  /// Reactants and products of reaction j.
  const Stoichiometry& stoichiometry(std::size_t j) const { return layout_.stoichiometry.at(j); }
  /// True when reaction j's firing can change the propensity of reaction k (the dependency graph of Gibson & Bruck
  /// 2000: j changes a species k's propensity reads; a propensity functor other than mass_action reads every
  /// species, unless it has a member reads_species(i) saying which it reads).
  bool affects(std::size_t j, std::size_t k) const {
    detail::require(j < reactions().size(), "sdekit::ReactionNetwork::affects", "j", j, "is not a reaction index");
    detail::require(k < reactions().size(), "sdekit::ReactionNetwork::affects", "k", k, "is not a reaction index");
    return affects_[j * sizeof...(Propensities) + k] != 0;
  }

  /// The same network started from other initial counts (whole, non-negative, one per species), so a new initial
  /// state needs no new network; throws std::invalid_argument naming the species otherwise.
  ReactionNetwork with_initial_counts(const State& counts) const {
    for (int i = 0; i < N; ++i) {
      const double c = counts[i];
      detail::require(std::isfinite(c) && c >= 0 && std::floor(c) == c && c <= 9007199254740992.0,
                      "sdekit::ReactionNetwork::with_initial_counts",
                      "count of species '" + layout_.species[static_cast<std::size_t>(i)] + "'", c,
                      "must be a non-negative whole number");
    }
    ReactionNetwork copy = *this;
    copy.initial_ = counts;
    for (int i = 0; i < N; ++i) copy.layout_.initial_counts[static_cast<std::size_t>(i)] = counts[i];
    return copy;
  }
  /// The index of species `name`; throws std::invalid_argument for an unknown name.
  std::size_t species_index(std::string_view name) const {
    const auto it = std::find(layout_.species.begin(), layout_.species.end(), name);
    detail::require(it != layout_.species.end(), "sdekit::ReactionNetwork::species_index", "name", std::string(name),
                    "is not a species of the network");
    return static_cast<std::size_t>(it - layout_.species.begin());
  }

  /// The propensities at x, unchecked (the chemical Langevin equation evaluates them at non-integer states).
  PropensityValues raw_propensities(const State& x) const {
    PropensityValues a;
    [&]<std::size_t... J>(std::index_sequence<J...>) {
      ((a[J] = static_cast<double>(std::get<J>(propensities_)(x))), ...);
    }
    (std::make_index_sequence<sizeof...(Propensities)>{});
    return a;
  }

  /// The propensities at x; throws std::invalid_argument naming the reaction if one is negative or not finite.
  PropensityValues propensities(const State& x) const {
    PropensityValues a = raw_propensities(x);
    for (std::size_t j = 0; j < a.size(); ++j)
      if (!(a[j] >= 0 && a[j] < std::numeric_limits<double>::infinity())) throw_bad_propensity(j, a[j], x);
    return a;
  }

  /// Gillespie's direct method from t_from to t_to: exponential waiting times of rate a0 = Σ a_j, reaction j with
  /// probability a_j / a0. By memorylessness the clock restarts exactly at t_from.
  void ssa_advance(State& x, double t_from, double t_to, RandomStream& rng) const {
    detail::UnlimitedBudget budget;
    (void)ssa_advance(x, t_from, t_to, rng, budget, NeverStop{});
  }

  /// The direct method under a budget (detail::RunBudget: event and wall-time limits) and a stop predicate checked
  /// after every event: returns true when it reached t_to, false when the budget or the predicate ended the run
  /// (budget.end records why and when). After an event only the propensities that depend on it are recomputed
  /// (dependency graph); a0 is still summed over all reactions in order, so the draws and the bits are the same as
  /// recomputing everything.
  template <class Budget, class Stop>
  bool ssa_advance(State& x, double t_from, double t_to, RandomStream& rng, Budget& budget, const Stop& stop) const {
    // The loop works on a local copy: x's address is known to the caller's recorder, so every opaque call (the
    // log, the Philox refill) would otherwise force x back to memory.
    State y = x;
    double t = t_from;
    PropensityValues a = propensities(y);
    bool reached = true;
    for (;;) {
      double a0 = 0;
      for (double v : a) a0 += v;
      if (a0 <= 0) break;  // nothing can happen any more
      const double next = t + rng.exponential() / a0;
      if (next >= t_to) break;
      if (!budget.allow_event(t)) {
        reached = false;
        break;
      }
      t = next;
      const std::size_t j = choose(a, a0, rng.uniform());
      fire(y, j);
      update_propensities(a, y, j);
      if (detail::stop_holds(stop, y, t)) {
        budget.end(RunOutcome::stopped, t);
        reached = false;
        break;
      }
    }
    x = y;
    return reached;
  }

  /// Gibson & Bruck's next reaction method (J. Phys. Chem. A 104, 1876, 2000) from t_from to t_to, under a budget
  /// and a stop predicate as ssa_advance: each reaction has a putative absolute firing time in an indexed priority
  /// queue; the earliest fires, and only the reactions it affects (dependency graph) get new times — the fired one
  /// from a fresh exponential, the others rescaled, τ_k ← t + (a_k,old / a_k,new)(τ_k − t), which reuses their
  /// draws. The clocks are drawn afresh at t_from (exact by memorylessness), so the grid only sets the observations.
  template <class Budget, class Stop>
  bool next_reaction_advance(State& x, double t_from, double t_to, RandomStream& rng, Budget& budget,
                             const Stop& stop) const {
    constexpr std::size_t r = sizeof...(Propensities);
    constexpr double never = std::numeric_limits<double>::infinity();
    State y = x;
    double t = t_from;
    PropensityValues a = propensities(y);
    std::array<double, r> when;
    for (std::size_t k = 0; k < r; ++k) when[k] = a[k] > 0 ? t + rng.exponential() / a[k] : never;
    detail::IndexedMinHeap<r> queue(when);
    bool reached = true;
    for (;;) {
      const std::size_t fired = queue.top();
      if (!(when[fired] < t_to)) break;  // also when nothing can fire (every time infinite)
      if (!budget.allow_event(t)) {
        reached = false;
        break;
      }
      t = when[fired];
      fire(y, fired);
      for (const int kk : dependents_[fired]) {
        const auto k = static_cast<std::size_t>(kk);
        if (k == fired) continue;
        const double before = a[k];
        a[k] = checked(k, propensity_at(k, y), y);
        if (a[k] <= 0) when[k] = never;
        else if (before > 0) when[k] = t + (before / a[k]) * (when[k] - t);
        else when[k] = t + rng.exponential() / a[k];
        queue.update(k);
      }
      a[fired] = checked(fired, propensity_at(fired, y), y);
      when[fired] = a[fired] > 0 ? t + rng.exponential() / a[fired] : never;
      queue.update(fired);
      if (detail::stop_holds(stop, y, t)) {
        budget.end(RunOutcome::stopped, t);
        reached = false;
        break;
      }
    }
    x = y;
    return reached;
  }

  /// The exact method `method` (SsaMethod::automatic resolved by the number of reactions) from t_from to t_to.
  template <class Budget, class Stop>
  bool exact_advance(SsaMethod method, State& x, double t_from, double t_to, RandomStream& rng, Budget& budget,
                     const Stop& stop) const {
    if (resolve(method) == SsaMethod::next_reaction) return next_reaction_advance(x, t_from, t_to, rng, budget, stop);
    return ssa_advance(x, t_from, t_to, rng, budget, stop);
  }

  /// The method SsaMethod::automatic stands for on this network.
  static constexpr SsaMethod resolve(SsaMethod method) {
    if (method != SsaMethod::automatic) return method;
    return reaction_count >= next_reaction_threshold ? SsaMethod::next_reaction : SsaMethod::direct;
  }

  /// Tau-leaping from t_from to t_to (leaps are cut to end exactly at t_to); see the file comment and
  /// TauLeapingOptions. Counts never become negative: a leap that would make one negative is rejected and retried
  /// with half the step.
  void tau_leap_advance(State& x, double t_from, double t_to, RandomStream& rng, const TauLeapingOptions& o,
                        TauLeapingDiagnostics* diagnostics = nullptr) const {
    constexpr std::size_t r = sizeof...(Propensities);
    double t = t_from;
    // Counted locally and added once per call: one atomic add per grid step, whatever the number of leaps.
    TauLeapingDiagnostics counts;
    struct AddOnExit {
      TauLeapingDiagnostics& counts;
      TauLeapingDiagnostics* target;
      ~AddOnExit() {
        if (target) target->add(counts);
      }
    } add_on_exit{counts, diagnostics};
    while (t < t_to) {
      const PropensityValues a = propensities(x);
      double a0 = 0;
      for (double v : a) a0 += v;
      if (a0 <= 0) return;
      // Critical reactions: can fire fewer than n_c more times before a reactant runs out (CGP 2005).
      std::array<char, r> critical{};
      for (std::size_t j = 0; j < r; ++j) {
        if (a[j] <= 0) continue;
        double times = std::numeric_limits<double>::infinity();
        for (int i : consumed_[j]) times = std::min(times, std::floor(x[i] / -nu_(i, static_cast<Eigen::Index>(j))));
        critical[j] = times < o.critical_threshold;
      }
      double tau1 = leap_size(x, a, critical, o.epsilon);
      if (tau1 < o.ssa_threshold / a0) {
        // Leaping would take only a few events at a time: exact steps are cheaper and unbiased.
        for (int s = 0; s < o.ssa_steps && t < t_to; ++s) {
          const PropensityValues b = s == 0 ? a : propensities(x);
          double b0 = 0;
          for (double v : b) b0 += v;
          if (b0 <= 0) return;
          t += rng.exponential() / b0;
          if (t >= t_to) return;
          fire(x, choose(b, b0, rng.uniform()));
          ++counts.exact_steps;
        }
        continue;
      }
      double a0_critical = 0;
      for (std::size_t j = 0; j < r; ++j)
        if (critical[j]) a0_critical += a[j];
      for (int halvings = 0;; ++halvings) {
        // Every count that can drop is bounded by τ', so halving ends; the guard turns a broken propensity into an
        // error instead of a hang.
        if (halvings > 200)
          detail::throw_invalid("sdekit::ReactionNetwork::tau_leap_advance", "leap", tau1,
                                "could not be made small enough to keep every count non-negative");
        const double tau2 = a0_critical > 0 ? rng.exponential() / a0_critical : std::numeric_limits<double>::infinity();
        double tau = std::min(tau1, tau2);
        bool fire_critical = tau2 <= tau1;
        const bool last = tau >= t_to - t;
        if (last) {
          tau = t_to - t;
          fire_critical = false;  // the next critical event lies beyond t_to
        }
        State next = x;
        for (std::size_t j = 0; j < r; ++j) {
          if (critical[j] || a[j] <= 0) continue;
          const auto k = static_cast<double>(poisson(rng, a[j] * tau));
          if (k > 0) next += k * nu_.col(static_cast<Eigen::Index>(j));
        }
        if (fire_critical) {
          std::array<double, r> ac{};
          for (std::size_t j = 0; j < r; ++j) ac[j] = critical[j] ? a[j] : 0.0;
          next += nu_.col(static_cast<Eigen::Index>(choose(ac, a0_critical, rng.uniform())));
        }
        if ((next.array() >= 0).all()) {
          ++counts.leaps;
          x = next;
          t = last ? t_to : t + tau;  // land exactly on t_to, not a rounding error short of it
          break;
        }
        ++counts.rejected_leaps;
        tau1 /= 2;  // a count went negative: reject the leap, halve the step (CGP 2005)
      }
    }
  }

 private:
  [[noreturn]] void throw_bad_propensity(std::size_t j, double value, const State& x) const {
    detail::throw_invalid("sdekit::ReactionNetwork", "propensity of reaction '" + layout_.reactions[j] + "'", value,
                          "must be non-negative and finite (at counts " + detail::to_text(x) + ")");
  }

  // The reaction j with Σ_{k<j} a_k ≤ u·a0 < Σ_{k≤j} a_k; rounding never picks a reaction of propensity 0.
  template <std::size_t R>
  static std::size_t choose(const std::array<double, R>& a, double a0, double u) {
    // target > 0, so a reaction with a_j = 0 never satisfies target < sum first: the scan needs no test for it,
    // only the rounding fallback (target ≥ the computed sum) must skip such reactions.
    const double target = u * a0;
    double sum = 0;
    for (std::size_t j = 0; j < R; ++j) {
      sum += a[j];
      if (target < sum) return j;
    }
    for (std::size_t j = R; j-- > 0;)
      if (a[j] > 0) return j;
    return 0;
  }

  // a_k(x) for every k that reaction j's firing affects; the others are unchanged, and were checked when computed.
  void update_propensities(PropensityValues& a, const State& x, std::size_t j) const {
    if constexpr (sizeof...(Propensities) >= next_reaction_threshold) {
      // Many reactions: walk the dependents of j instead of testing every reaction's flag.
      for (const int k : dependents_[j])
        a[static_cast<std::size_t>(k)] =
            checked(static_cast<std::size_t>(k), propensity_at(static_cast<std::size_t>(k), x), x);
      return;
    }
    const unsigned char* affected = &affects_[j * sizeof...(Propensities)];
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((affected[K] ? (void)(a[K] = checked(K, static_cast<double>(std::get<K>(propensities_)(x)), x)) : (void)0), ...);
    }
    (std::make_index_sequence<sizeof...(Propensities)>{});
  }

  // a_k(x) for a reaction index known only at run time: one table lookup and call.
  double propensity_at(std::size_t k, const State& x) const {
    using Evaluate = double (*)(const ReactionNetwork&, const State&);
    static constexpr auto table = []<std::size_t... K>(std::index_sequence<K...>) {
      return std::array<Evaluate, sizeof...(Propensities)>{+[](const ReactionNetwork& n, const State& s) {
        return static_cast<double>(std::get<K>(n.propensities_)(s));
      }...};
    }
    (std::make_index_sequence<sizeof...(Propensities)>{});
    return table[k](*this, x);
  }

  double checked(std::size_t j, double value, const State& x) const {
    if (!(value >= 0 && value < std::numeric_limits<double>::infinity())) throw_bad_propensity(j, value, x);
    return value;
  }

  // affects_[j·R + k]: does firing j change a species that propensity k reads?
  void make_dependency_graph() {
    constexpr std::size_t r = sizeof...(Propensities);
    std::array<std::array<char, static_cast<std::size_t>(N)>, r> reads{};
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            using P = std::tuple_element_t<K, std::tuple<Propensities...>>;
            if constexpr (std::is_same_v<P, detail::MassActionPropensity<N>>) {
              const P& m = std::get<K>(propensities_);
              for (int s = 0; s < m.count; ++s)
                reads[K][static_cast<std::size_t>(m.species[static_cast<std::size_t>(s)])] = 1;
            } else if constexpr (requires(const P& p, int i) {
                                   { p.reads_species(i) } -> std::convertible_to<bool>;
                                 }) {
              // A functor that says which species it reads (e.g. a compiled SBML kinetic law).
              const P& p = std::get<K>(propensities_);
              for (int i = 0; i < N; ++i) reads[K][static_cast<std::size_t>(i)] = p.reads_species(i) ? 1 : 0;
              checks_counts_[K] = 1;
            } else {
              reads[K].fill(1);  // a functor a(x) may read any species
              checks_counts_[K] = 1;
            }
          }(),
          ...);
    }
    (std::make_index_sequence<r>{});
    for (std::size_t j = 0; j < r; ++j)
      for (std::size_t k = 0; k < r; ++k)
        for (int i = 0; i < N; ++i)
          if (nu_(i, static_cast<Eigen::Index>(j)) != 0 && reads[k][static_cast<std::size_t>(i)])
            affects_[j * r + k] = 1;
    for (std::size_t j = 0; j < r; ++j) {
      for (std::size_t k = 0; k < r; ++k)
        if (affects_[j * r + k]) dependents_[j].push_back(static_cast<int>(k));
      for (int i = 0; i < N; ++i)
        if (nu_(i, static_cast<Eigen::Index>(j)) != 0)
          changes_[j].emplace_back(i, nu_(i, static_cast<Eigen::Index>(j)));
    }
  }

  void fire(State& x, std::size_t j) const {
    // Few species: one vector add; many: only the species the reaction changes (a chain step touches 2 of 100).
    if constexpr (N <= 4) x += nu_.col(static_cast<Eigen::Index>(j));
    else
      for (const auto& [i, change] : changes_[j]) x[i] += change;
    // A mass-action propensity vanishes without its reactants, so only functor propensities need the check.
    if (!checks_counts_[j]) return;
    for (int i : consumed_[j])
      if (x[i] < 0)
        detail::throw_invalid("sdekit::ReactionNetwork",
                              "count of species '" + layout_.species[static_cast<std::size_t>(i)] + "'", x[i],
                              "became negative when reaction '" + layout_.reactions[j] +
                                  "' fired: its propensity must vanish when its reactants are missing");
  }

  // The CGP 2006 step: τ' = min_i { max(ε x_i / g_i, 1) / |μ_i|, max(ε x_i / g_i, 1)² / σ_i² } over the reactant
  // species of the non-critical reactions, with μ_i = Σ_j ν_ij a_j and σ_i² = Σ_j ν_ij² a_j over those reactions.
  double leap_size(const State& x, const PropensityValues& a, const std::array<char, sizeof...(Propensities)>& critical,
                   double epsilon) const {
    std::array<double, static_cast<std::size_t>(N)> mu{}, sigma2{};
    std::array<char, static_cast<std::size_t>(N)> reactant{};
    for (std::size_t j = 0; j < a.size(); ++j) {
      // Reactions with a_j = 0 count too: their reactants (e.g. X of X -> 0 at X = 0) bound the step through the
      // reactions that produce them.
      if (critical[j]) continue;
      for (const auto& [i, c] : layout_.stoichiometry[j].reactants) reactant[i] = 1;
      for (int i = 0; i < N; ++i) {
        const double v = nu_(i, static_cast<Eigen::Index>(j));
        mu[static_cast<std::size_t>(i)] += v * a[j];
        sigma2[static_cast<std::size_t>(i)] += v * v * a[j];
      }
    }
    double tau = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < static_cast<std::size_t>(N); ++i) {
      if (!reactant[i]) continue;
      const double g = detail::tau_g(layout_.highest_order[i], layout_.highest_order_coefficient[i],
                                     x[static_cast<Eigen::Index>(i)]);
      const double bound = std::max(epsilon * x[static_cast<Eigen::Index>(i)] / g, 1.0);
      if (mu[i] != 0) tau = std::min(tau, bound / std::abs(mu[i]));
      if (sigma2[i] > 0) tau = std::min(tau, bound * bound / sigma2[i]);
    }
    return tau;
  }

  detail::NetworkLayout layout_;
  std::tuple<Propensities...> propensities_;
  State initial_ = State::Zero();
  Eigen::Matrix<double, N, sizeof...(Propensities)> nu_ = decltype(nu_)::Zero();
  std::array<std::vector<int>, sizeof...(Propensities)> consumed_;  // species each reaction decreases
  // affects_[j·R + k]: firing j changes a species propensity k reads (see make_dependency_graph).
  std::array<unsigned char, sizeof...(Propensities) * sizeof...(Propensities)> affects_{};
  std::array<std::vector<int>, sizeof...(Propensities)> dependents_;    // per reaction j: the k with affects_[j·R + k]
  std::array<unsigned char, sizeof...(Propensities)> checks_counts_{};  // functor propensity: check counts
  std::array<std::vector<std::pair<int, double>>, sizeof...(Propensities)> changes_;  // per reaction: (species, ν)
};

/// A network of the species `species` (names, in state order) with initial counts `initial_counts` and the given
/// reactions, e.g. make_reaction_network({"S", "I", "R"}, {990, 10, 0}, reaction("infection", "S + I -> 2 I",
/// mass_action(beta / 1000)), reaction("recovery", "I -> R", mass_action(gamma))). Throws std::invalid_argument for
/// unknown species, malformed equations, negative rate constants or counts, and repeated names.
template <std::size_t N, class... P>
auto make_reaction_network(const std::string (&species)[N], const double (&initial_counts)[N],
                           const Reaction<P>&... reactions) {
  constexpr int n = static_cast<int>(N);
  detail::NetworkLayout layout = detail::make_network_layout(std::vector<std::string>(species, species + N),
                                                             std::vector<double>(initial_counts, initial_counts + N),
                                                             {reactions.name...}, {reactions.equation...});
  auto bind_all = [&]<std::size_t... J>(std::index_sequence<J...>) {
    const std::tuple<const Reaction<P>&...> rs(reactions...);
    return std::tuple<typename detail::bound_propensity<P, n>::type...>(
        detail::bind_propensity<n>(std::get<J>(rs), layout.stoichiometry[J])...);
  };
  auto bound = bind_all(std::index_sequence_for<P...>{});
  return ReactionNetwork<n, typename detail::bound_propensity<P, n>::type...>(std::move(layout), std::move(bound));
}

/// The same from std::arrays of species names and initial counts.
template <std::size_t N, class... P>
auto make_reaction_network(const std::array<std::string, N>& species, const std::array<double, N>& initial_counts,
                           const Reaction<P>&... reactions) {
  std::string names[N];
  double counts[N];
  for (std::size_t i = 0; i < N; ++i) {
    names[i] = species[i];
    counts[i] = initial_counts[i];
  }
  return make_reaction_network(names, counts, reactions...);
}

/// True for the types make_reaction_network returns.
template <class T>
inline constexpr bool is_reaction_network_v = false;
/// A ReactionNetwork is one.
template <int N, class... P>
inline constexpr bool is_reaction_network_v<ReactionNetwork<N, P...>> = true;

/// Exact stochastic simulation of options.particles runs from the network's initial counts: Gillespie's direct
/// method, or Gibson & Bruck's next reaction method for networks of next_reaction_threshold reactions and more
/// (`method` chooses otherwise). The runs are observed at the save times (and every observe_dt for kept paths); the
/// simulation is exact between observations. A negative or non-finite propensity fails that particle with a message
/// naming the reaction.
template <class Network>
  requires is_reaction_network_v<Network>
auto simulate_ssa(const Network& network, const JumpOptions& options, SsaMethod method = SsaMethod::automatic) {
  using State = typename Network::State;
  return simulate_process_ensemble(
      network.initial_counts(),
      [&network, method](State& x, double t_from, double t_to, RandomStream& rng) {
        detail::UnlimitedBudget budget;
        (void)network.exact_advance(method, x, t_from, t_to, rng, budget, NeverStop{});
      },
      detail::observation_options(options, "sdekit::simulate_ssa"));
}

/// Exact stochastic simulation under `control`: every run ends at t1, when control.stop(x, t) first holds (checked
/// after every event, so the stop time is exact), after control.max_events events, or after control.max_wall_seconds;
/// the result says how each run ended (ends, outcome counts), and progress is reported within long runs. The same
/// JumpOptions as above say what is run and observed; the RunControl says when a run ends early.
template <class Network, class Stop>
  requires is_reaction_network_v<Network>
auto simulate_ssa(const Network& network, const JumpOptions& options, const RunControl<Stop>& control,
                  SsaMethod method = SsaMethod::automatic) {
  using State = typename Network::State;
  return simulate_controlled_process_ensemble(
      network.initial_counts(),
      [&network, &control, method](State& x, double t_from, double t_to, RandomStream& rng, detail::RunBudget& budget) {
        return network.exact_advance(method, x, t_from, t_to, rng, budget, control.stop);
      },
      detail::observation_options(options, "sdekit::simulate_ssa"), control);
}

/// Tau-leaping of options.particles runs (see ReactionNetwork::tau_leap_advance), observed at the save times (and
/// every observe_dt for kept paths; leaps end on those times). When `diagnostics` is given, the leaps, rejected
/// leaps and exact steps of all runs are added to it.
template <class Network>
  requires is_reaction_network_v<Network>
auto simulate_tau_leaping(const Network& network, const JumpOptions& options, const TauLeapingOptions& tau = {},
                          TauLeapingDiagnostics* diagnostics = nullptr) {
  using State = typename Network::State;
  constexpr const char* where = "sdekit::simulate_tau_leaping";
  detail::require(tau.epsilon > 0 && tau.epsilon < 1, where, "epsilon", tau.epsilon, "must lie in (0, 1)");
  detail::require(tau.critical_threshold >= 0, where, "critical_threshold", tau.critical_threshold,
                  "must be non-negative");
  detail::require(tau.ssa_threshold >= 0, where, "ssa_threshold", tau.ssa_threshold, "must be non-negative");
  detail::require(tau.ssa_steps >= 1, where, "ssa_steps", tau.ssa_steps, "must be at least 1");
  return simulate_process_ensemble(
      network.initial_counts(),
      [&network, tau, diagnostics](State& x, double t_from, double t_to, RandomStream& rng) {
        network.tau_leap_advance(x, t_from, t_to, rng, tau, diagnostics);
      },
      detail::observation_options(options, where));
}

/// The JumpOptions of an EnsembleOptions: its dt becomes the observation spacing observe_dt.
inline JumpOptions jump_options(const EnsembleOptions& options) {
  JumpOptions o;
  static_cast<RunOptions&>(o) = options;
  o.t0 = options.t0;
  o.t1 = options.t1;
  o.save_times = options.save_times;
  o.keep_paths = options.keep_paths;
  o.observe_dt = options.dt;
  return o;
}

/// Compatibility: simulate_ssa with EnsembleOptions, whose dt is then only the observation spacing.
template <class Network>
  requires is_reaction_network_v<Network>
[[deprecated("pass sdekit::JumpOptions (observe_dt is the observation spacing; the SSA has no step)")]] auto
simulate_ssa(const Network& network, const EnsembleOptions& options, SsaMethod method = SsaMethod::automatic) {
  return simulate_ssa(network, jump_options(options), method);
}

/// Compatibility: simulate_ssa under a RunControl with EnsembleOptions, whose dt is then only the observation
/// spacing.
template <class Network, class Stop>
  requires is_reaction_network_v<Network>
[[deprecated("pass sdekit::JumpOptions (observe_dt is the observation spacing; the SSA has no step)")]] auto
simulate_ssa(const Network& network, const EnsembleOptions& options, const RunControl<Stop>& control,
             SsaMethod method = SsaMethod::automatic) {
  return simulate_ssa(network, jump_options(options), control, method);
}

/// Compatibility: simulate_tau_leaping with EnsembleOptions, whose dt is then only the observation spacing.
template <class Network>
  requires is_reaction_network_v<Network>
[[deprecated("pass sdekit::JumpOptions (observe_dt is the observation spacing; tau-leaping picks its leaps)")]] auto
simulate_tau_leaping(const Network& network, const EnsembleOptions& options, const TauLeapingOptions& tau = {},
                     TauLeapingDiagnostics* diagnostics = nullptr) {
  return simulate_tau_leaping(network, jump_options(options), tau, diagnostics);
}

/// The chemical Langevin equation of the network as an Itô SDE with general noise, one Wiener process per reaction:
/// drift Σ_j ν_j a⁺_j(x), diffusion column j = ν_j √a⁺_j(x), with a⁺_j = max(a_j, 0). The clamp matters only where
/// the continuous state has left the region the propensities are meant for (a count below 0, or below ν for an
/// order-ν reactant): there the square root would be undefined, and clamping the drift too switches off the
/// reactions that consume what is missing instead of letting a negative count run away. A network with one
/// reaction and several species gets a second, zero column so that its noise stays general (one shared W).
template <class Network>
  requires is_reaction_network_v<Network>
auto chemical_langevin(const Network& network) {
  using State = typename Network::State;
  constexpr int r = Network::reaction_count;
  constexpr int rows = State::RowsAtCompileTime;
  constexpr int cols = (r == 1 && rows > 1) ? 2 : r;
  using B = Eigen::Matrix<double, rows, cols>;
  auto drift = [network](const State& x, double) -> State {
    const auto a = network.raw_propensities(x);
    State d = State::Zero();
    for (int j = 0; j < r; ++j) d += network.net_change().col(j) * std::max(a[static_cast<std::size_t>(j)], 0.0);
    return d;
  };
  auto diffusion = [network](const State& x, double) -> B {
    const auto a = network.raw_propensities(x);
    B b = B::Zero();
    for (int j = 0; j < r; ++j)
      b.col(j) = network.net_change().col(j) * std::sqrt(std::max(a[static_cast<std::size_t>(j)], 0.0));
    return b;
  };
  return make_sde(std::move(drift), std::move(diffusion));
}

/// The chemical Langevin equation integrated by `stepper` (e.g. sdekit::EulerMaruyama) from the initial counts,
/// with options.dt as the step; see chemical_langevin.
template <class Stepper, class Network>
  requires is_reaction_network_v<Network>
auto simulate_cle(const Stepper& stepper, const Network& network, const EnsembleOptions& options) {
  return simulate_ensemble(stepper, chemical_langevin(network), network.initial_counts(), options);
}

}  // namespace sdekit
