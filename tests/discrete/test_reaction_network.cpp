// Reaction networks: the DSMTS birth–death (001-01) and immigration–death (002-01) models judged by the suite's own
// criteria, tau-leaping and the chemical Langevin equation against exact SSA means, non-negative tau-leaping,
// mass-action propensities by hand, Poisson draws, reproducibility for 1 and 2 threads, and every input error.
#include <sdekit/discrete/rate_equations.hpp>
#include <sdekit/discrete/reaction_network.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using sdekit_test::check_throws_naming;
using sdekit_test::contains;
using sdekit_test::message_of;

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// The parts of a DSMTS .mod file (SBML shorthand) these two models use: one species with its initial amount,
// parameters, and reactions with a mass-action propensity "Param" or "Param*Species".
struct ModModel {
  std::string species;
  double initial = 0;
  std::map<std::string, double> parameters;
  struct ModReaction {
    std::string name, equation, propensity;
  };
  std::vector<ModReaction> reactions;
};

ModModel read_mod(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  ModModel m;
  std::string line, section;
  std::vector<std::string> pending;  // lines of the current reaction
  while (std::getline(in, line)) {
    if (line.rfind("@r=", 0) == 0) {
      m.reactions.push_back({trim(line.substr(3)), "", ""});
      section = "reaction";
      pending.clear();
      continue;
    }
    if (!line.empty() && line[0] == '@') {
      section = trim(line.substr(0, line.find('=')));
      continue;
    }
    const std::string body = trim(line);
    if (section == "@species" && !body.empty()) {
      const auto colon = body.find(':'), eq = body.find('=');
      m.species = body.substr(colon + 1, eq - colon - 1);
      m.initial = std::stod(body.substr(eq + 1));
    } else if (section == "@parameters" && !body.empty()) {
      const auto eq = body.find('=');
      m.parameters[body.substr(0, eq)] = std::stod(body.substr(eq + 1));
    } else if (section == "reaction") {
      pending.push_back(body);
      if (pending.size() == 1) m.reactions.back().equation = body;
      if (pending.size() == 2) m.reactions.back().propensity = body;
    }
  }
  return m;
}

// The mass-action rate constant of "Param" or "Param*Reactant", checked against the reaction's reactants.
double mass_action_constant(const ModModel& m, const ModModel::ModReaction& r) {
  const auto star = r.propensity.find('*');
  const std::string param = trim(r.propensity.substr(0, star));
  const std::string lhs = trim(r.equation.substr(0, r.equation.find("->")));
  const std::string factor = star == std::string::npos ? "" : trim(r.propensity.substr(star + 1));
  REQUIRE_MESSAGE(factor == lhs, "propensity " << r.propensity << " is not mass action for " << r.equation);
  REQUIRE(m.parameters.count(param) == 1);
  return m.parameters.at(param);
}

std::vector<double> read_column(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::string line;
  std::getline(in, line);  // header time,X
  std::vector<double> out;
  while (std::getline(in, line))
    if (!trim(line).empty()) out.push_back(std::stod(line.substr(line.find(',') + 1)));
  return out;
}

struct DsmtsOutcome {
  int z_out = 0, y_out = 0, points = 0;
};

// Runs the model n = 10^4 times with the exact SSA and applies the DSMTS criteria at t = 0 … 50.
DsmtsOutcome run_dsmts(const std::string& id, std::uint64_t seed,
                       sdekit::SsaMethod method = sdekit::SsaMethod::automatic) {
  const std::string dir = std::string(SDEKIT_TEST_DATA_DIR) + "/dsmts/";
  const ModModel m = read_mod(dir + id + ".mod");
  REQUIRE(m.reactions.size() == 2);
  const auto& r0 = m.reactions[0];
  const auto& r1 = m.reactions[1];
  const auto network = sdekit::make_reaction_network(
      {m.species}, {m.initial},
      sdekit::reaction(r0.name, r0.equation, sdekit::mass_action(mass_action_constant(m, r0))),
      sdekit::reaction(r1.name, r1.equation, sdekit::mass_action(mass_action_constant(m, r1))));
  const std::vector<double> mu = read_column(dir + id + "-mean.csv");
  const std::vector<double> sd = read_column(dir + id + "-sd.csv");
  REQUIRE(mu.size() == 51);
  REQUIRE(sd.size() == 51);

  sdekit::JumpOptions o;
  o.particles = 10000;
  o.seed = seed;
  o.t0 = 0;
  o.t1 = 50;
  for (int t = 0; t <= 50; ++t) o.save_times.push_back(t);
  const auto result = sdekit::simulate_ssa(network, o, method);
  REQUIRE(result.failures.empty());
  const double n = static_cast<double>(o.particles);
  DsmtsOutcome out;
  double z_max = 0, y_max = 0;
  for (std::size_t t = 0; t <= 50; ++t) {
    const auto& s = result.statistics[t];
    if (sd[t] == 0) {
      // t = 0: the state is known exactly, so Z and Y are undefined; the run must match it exactly.
      CHECK(s.mean[0] == mu[t]);
      CHECK(s.variance[0] == 0.0);
      continue;
    }
    ++out.points;
    const double z = std::sqrt(n) * (s.mean[0] - mu[t]) / sd[t];
    const double y = std::sqrt(n / 2) * (s.variance[0] / (sd[t] * sd[t]) - 1);
    if (std::abs(z) > 3) ++out.z_out;
    if (std::abs(y) > 5) ++out.y_out;
    z_max = std::max(z_max, std::abs(z));
    y_max = std::max(y_max, std::abs(y));
  }
  std::printf(
      "DSMTS %s species %s (%s): n = 10^4, %d time points judged (t = 1..50; t = 0 exact): %d Z outside [-3, 3], "
      "%d Y outside [-5, 5] (max |Z| = %.2f, max |Y| = %.2f)\n",
      id.c_str(), m.species.c_str(), method == sdekit::SsaMethod::next_reaction ? "next reaction" : "direct",
      out.points, out.z_out, out.y_out, z_max, y_max);
  return out;
}

// Immigration–death with large counts, where tau-leaping really leaps: ∅ → X at α, X → ∅ at μX, X(0) = 0.
auto immigration_death(double alpha, double mu) {
  return sdekit::make_reaction_network({"X"}, {0.0},
                                       sdekit::reaction("immigration", "0 -> X", sdekit::mass_action(alpha)),
                                       sdekit::reaction("death", "X -> 0", sdekit::mass_action(mu)));
}

}  // namespace

TEST_CASE("DSMTS 001-01 (birth-death) and 002-01 (immigration-death) pass the suite's criteria") {
  // Rule for chance failures: with 50 judged points, |Z| > 3 has probability 0.27% per point and |Y| > 5 less, so a
  // correct simulator expects ~0.1 Z failures; we allow at most 2 of 50 for Z and at most 2 for Y per model.
  for (const auto& [id, seed] : {std::pair<std::string, std::uint64_t>{"dsmts-001-01", 101}, {"dsmts-002-01", 202}}) {
    const DsmtsOutcome out = run_dsmts(id, seed);
    CHECK(out.points == 50);
    CHECK(out.z_out <= 2);
    CHECK(out.y_out <= 2);
  }
}

TEST_CASE("the next reaction method passes the same DSMTS criteria") {
  for (const auto& [id, seed] : {std::pair<std::string, std::uint64_t>{"dsmts-001-01", 303}, {"dsmts-002-01", 404}}) {
    const DsmtsOutcome out = run_dsmts(id, seed, sdekit::SsaMethod::next_reaction);
    CHECK(out.points == 50);
    CHECK(out.z_out <= 2);
    CHECK(out.y_out <= 2);
  }
}

namespace {

// A chain X0 -> X1 -> … -> X_R at rate 1 per molecule, n0 molecules in X0: R reactions, R + 1 species.
template <std::size_t... K>
auto linear_chain(double n0, std::index_sequence<K...>) {
  constexpr std::size_t r = sizeof...(K);
  std::array<std::string, r + 1> species;
  std::array<double, r + 1> counts{};
  for (std::size_t i = 0; i <= r; ++i) species[i] = std::string("X").append(std::to_string(i));
  counts[0] = n0;
  // append, not operator+: GCC 12 warns falsely (-Wrestrict) on chained string additions.
  auto equation = [](std::size_t k) {
    return std::string("X").append(std::to_string(k)).append(" -> X").append(std::to_string(k + 1));
  };
  return sdekit::make_reaction_network(
      species, counts,
      sdekit::reaction(std::string("step").append(std::to_string(K)), equation(K), sdekit::mass_action(1.0))...);
}

}  // namespace

TEST_CASE("next reaction and direct method on a 100-reaction chain: E X_k(t) = n0 e^-t t^k / k!") {
  // Each molecule moves along the chain as a Poisson process of rate 1, so X_k(t) for k < 100 has mean
  // n0 · Poisson(t; k). Both methods within 4.5 SE at t = 5 for k = 0, 2, 5, 8, 12; automatic picks the next reaction
  // method here.
  const auto chain = linear_chain(40.0, std::make_index_sequence<100>{});
  static_assert(decltype(chain)::resolve(sdekit::SsaMethod::automatic) == sdekit::SsaMethod::next_reaction);
  sdekit::JumpOptions o;
  o.particles = 4000;
  o.seed = 9;
  o.t1 = 5;
  o.observe_dt = 2.5;
  for (const auto method : {sdekit::SsaMethod::direct, sdekit::SsaMethod::next_reaction}) {
    const auto r = sdekit::simulate_ssa(chain, o, method);
    REQUIRE(r.failures.empty());
    const auto& s = r.statistics.back();
    for (int k : {0, 2, 5, 8, 12}) {
      const double exact = 40.0 * std::exp(-5.0 + k * std::log(5.0) - std::lgamma(k + 1.0));
      INFO("method " << static_cast<int>(method) << " k = " << k << ": mean " << s.mean[k] << " exact " << exact);
      CHECK(std::abs(s.mean[k] - exact) < 4.5 * s.standard_error()[k]);
    }
    CHECK(s.mean.sum() == doctest::Approx(40.0));  // molecules are conserved
  }
  // Reproducible for 1 and 2 threads.
  auto o1 = o, o2 = o;
  o1.threads = 1;
  o2.threads = 2;
  o2.block_size = 37;
  const auto a = sdekit::simulate_ssa(chain, o1, sdekit::SsaMethod::next_reaction);
  const auto b = sdekit::simulate_ssa(chain, o2, sdekit::SsaMethod::next_reaction);
  CHECK((a.values.back().array() == b.values.back().array()).all());
}

TEST_CASE("mass-action propensities by hand") {
  const auto net = sdekit::make_reaction_network(
      {"A", "B", "P", "D"}, {10.0, 7.0, 12.0, 0.0}, sdekit::reaction("source", "-> A", sdekit::mass_action(2.0)),
      sdekit::reaction("decay", "A ->", sdekit::mass_action(0.5)),
      sdekit::reaction("bind", "A + B -> 0", sdekit::mass_action(0.25)),
      sdekit::reaction("dimerise", "2P -> D", sdekit::mass_action(3.0)),
      sdekit::reaction("custom", "D -> P + P", [](const Eigen::Vector4d& x) { return 0.1 * x[3] * x[3]; }));
  Eigen::Vector4d x(10, 7, 12, 3);
  const auto a = net.propensities(x);
  CHECK(a[0] == 2.0);
  CHECK(a[1] == 0.5 * 10);
  CHECK(a[2] == 0.25 * 10 * 7);
  CHECK(a[3] == doctest::Approx(3.0 * 12 * 11 / 2));
  CHECK(a[4] == doctest::Approx(0.9));
  x[2] = 1;  // one P cannot dimerise
  CHECK(net.propensities(x)[3] == 0.0);
  CHECK(net.net_change()(2, 3) == -2);
  CHECK(net.net_change()(3, 3) == 1);
  CHECK(net.net_change()(2, 4) == 2);
  CHECK(net.species_index("P") == 2);
  // The std::array form builds the same network.
  const std::array<std::string, 2> names{"A", "B"};
  const std::array<double, 2> counts{3, 4};
  const auto from_arrays =
      sdekit::make_reaction_network(names, counts, sdekit::reaction("bind", "A + B ->", sdekit::mass_action(2.0)));
  CHECK(from_arrays.propensities(from_arrays.initial_counts())[0] == 24.0);
}

TEST_CASE("Poisson draws have the right mean and variance") {
  sdekit::RandomStream rng(3, 0, 1);
  for (double lambda : {0.3, 4.0, 25.0, 1e4}) {
    const int n = static_cast<int>(sdekit_test::scaled(100000, 10000));  // SDEKIT_TEST_SCALE; tolerances in SE
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      const double k = static_cast<double>(sdekit::poisson(rng, lambda));
      sum += k;
      sum2 += k * k;
    }
    const double mean = sum / n;
    const double var = (sum2 - n * mean * mean) / (n - 1);
    CHECK(std::abs(mean - lambda) <= 5 * std::sqrt(lambda / n));
    // Var of the sample variance of a Poisson: (μ4 − σ⁴)/n = (λ + 2λ²)/n.
    CHECK(std::abs(var - lambda) <= 5 * std::sqrt((lambda + 2 * lambda * lambda) / n));
  }
  CHECK(sdekit::poisson(rng, 0.0) == 0);
  CHECK(contains(message_of([&] { sdekit::poisson(rng, -1.0); }), "mean = -1"));
}

TEST_CASE("tau-leaping and the chemical Langevin equation agree with the exact SSA means") {
  // α = 200, μ = 0.5: the mean 400 (1 − e^{−t/2}) rises to about 370 by t = 5; leaps of ~0.05–0.5 time units.
  const auto net = immigration_death(200, 0.5);
  sdekit::JumpOptions o;
  o.particles = 4000;
  o.seed = 31;
  o.t1 = 5;
  o.observe_dt = 0.5;
  o.save_times = {0.5, 1, 2, 5};
  const auto ssa = sdekit::simulate_ssa(net, o);
  // Other seeds: at small counts tau-leaping takes SSA steps, which on the same stream would copy the SSA paths.
  auto ot = o;
  ot.seed = 32;
  const auto tau = sdekit::simulate_tau_leaping(net, ot);
  sdekit::EnsembleOptions oc;  // the CLE is an SDE: dt is its step
  static_cast<sdekit::RunOptions&>(oc) = o;
  oc.t1 = o.t1;
  oc.save_times = o.save_times;
  oc.seed = 33;
  oc.dt = 0.01;
  const auto cle = sdekit::simulate_cle(sdekit::EulerMaruyama{}, net, oc);
  const double n = static_cast<double>(o.particles);
  for (std::size_t s = 0; s < o.save_times.size(); ++s) {
    const double exact = 400 * (1 - std::exp(-0.5 * o.save_times[s]));  // Poisson: variance = mean
    const double se = std::sqrt(exact / n);
    // The SSA is exact: its mean within 5 SE of the formula.
    CHECK(std::abs(ssa.statistics[s].mean[0] - exact) <= 5 * se);
    // Stated tolerance for the approximations: means within 5 SE of the difference of two means plus 1% of the
    // mean; variances within 5 SE plus 10%. Both methods are biased at O(step): a leap τ acts on the mean like an
    // Euler step of dm/dt = α − μm (bias ≈ μτ/2 of the gap to α/μ, under 1% here) and inflates the variance by about
    // μτ/2 (≈ 8% at t = 5, where the CGP rule gives τ ≈ 0.3); Euler–Maruyama at dt = 0.01 is biased by μ·dt/2 = 0.25%.
    for (const auto* approx : {&tau, &cle}) {
      const auto& st = approx->statistics[s];
      std::printf("t = %g: exact %.2f, SSA %.2f, %s %.2f (variance SSA %.1f, %.1f)\n", o.save_times[s], exact,
                  ssa.statistics[s].mean[0], approx == &tau ? "tau" : "CLE", st.mean[0], ssa.statistics[s].variance[0],
                  st.variance[0]);
      CHECK(std::abs(st.mean[0] - ssa.statistics[s].mean[0]) <= 5 * std::sqrt(2.0) * se + 0.01 * exact);
      const double var_se = exact * std::sqrt(2 / n);
      CHECK(std::abs(st.variance[0] - ssa.statistics[s].variance[0]) <= 5 * std::sqrt(2.0) * var_se + 0.10 * exact);
    }
  }
  // Every tau-leaping state is a whole number (and the CLE's generally is not).
  for (double v : tau.component_values(3)) CHECK(v == std::floor(v));
}

TEST_CASE("tau-leaping never produces a negative count") {
  // Fast consumption at small counts: decay, dimerisation 2P -> D and binding A + B -> C all drive species to 0.
  const auto net = sdekit::make_reaction_network({"P", "D", "A", "B", "C"}, {60.0, 0.0, 40.0, 25.0, 0.0},
                                                 sdekit::reaction("decay", "P ->", sdekit::mass_action(1.0)),
                                                 sdekit::reaction("dimerise", "2P -> D", sdekit::mass_action(0.5)),
                                                 sdekit::reaction("bind", "A + B -> C", sdekit::mass_action(2.0)),
                                                 sdekit::reaction("unbind", "C -> A + B", sdekit::mass_action(0.1)));
  sdekit::JumpOptions o;
  o.particles = 2000;
  o.seed = 41;
  o.t1 = 4;
  o.observe_dt = 0.05;
  for (int k = 1; k <= 80; ++k) o.save_times.push_back(0.05 * k);
  // A coarse ε and no SSA fallback make leaps as aggressive as possible, so negatives would be proposed often.
  sdekit::TauLeapingOptions aggressive;
  aggressive.epsilon = 0.5;
  aggressive.critical_threshold = 0;
  aggressive.ssa_threshold = 0;
  for (const auto& options : {sdekit::TauLeapingOptions{}, aggressive}) {
    const auto r = sdekit::simulate_tau_leaping(net, o, options);
    REQUIRE(r.failures.empty());
    double lowest = 1e300;
    for (const auto& st : r.statistics) lowest = std::min(lowest, st.min.minCoeff());
    CHECK(lowest >= 0);
    // Conservation checks the bookkeeping: A + C and B + C are invariants.
    for (std::size_t s = 0; s < r.values.size(); s += 20) {
      const Eigen::MatrixXd& v = r.values[s];
      CHECK(((v.row(2) + v.row(4)).array() == 40).all());
      CHECK(((v.row(3) + v.row(4)).array() == 25).all());
    }
  }
}

TEST_CASE("SSA, tau-leaping and CLE ensembles are bitwise reproducible for 1 and 2 threads") {
  const auto net = immigration_death(50, 0.5);
  sdekit::JumpOptions o;
  o.particles = 1000;
  o.seed = 51;
  o.t1 = 4;
  o.observe_dt = 0.5;
  o.block_size = 37;
  o.save_times = {1, 4};
  auto run_all = [&](int threads) {
    auto oo = o;
    oo.threads = threads;
    oo.schedule = threads == 1 ? sdekit::Schedule::static_blocks : sdekit::Schedule::dynamic_blocks;
    sdekit::EnsembleOptions oc;
    static_cast<sdekit::RunOptions&>(oc) = oo;
    oc.t1 = oo.t1;
    oc.save_times = oo.save_times;
    oc.dt = 0.05;
    return std::tuple{sdekit::simulate_ssa(net, oo), sdekit::simulate_tau_leaping(net, oo),
                      sdekit::simulate_cle(sdekit::EulerMaruyama{}, net, oc)};
  };
  const auto [s1, t1, c1] = run_all(1);
  const auto [s2, t2, c2] = run_all(2);
  for (std::size_t s = 0; s < 2; ++s) {
    CHECK((s1.values[s].array() == s2.values[s].array()).all());
    CHECK((t1.values[s].array() == t2.values[s].array()).all());
    CHECK((c1.values[s].array() == c2.values[s].array()).all());
    CHECK(s1.statistics[s].variance[0] == s2.statistics[s].variance[0]);
  }
}

TEST_CASE("reaction network input errors name the argument") {
  using sdekit::mass_action;
  using sdekit::reaction;
  CHECK(contains(
      message_of([] {
        sdekit::make_reaction_network({"S", "I"}, {9.0, 1.0}, reaction("infection", "S + Q -> 2 I", mass_action(1)));
      }),
      "species of reaction 'infection' = Q is not a species of the network (unknown species)"));
  CHECK(
      contains(message_of([] { sdekit::make_reaction_network({"S"}, {9.0}, reaction("r", "S => 0", mass_action(1))); }),
               "equation of reaction 'r'"));
  CHECK(contains(
      message_of([] { sdekit::make_reaction_network({"S"}, {9.0}, reaction("r", "S -> 2 + S", mass_action(1))); }),
      "term '2' of reaction 'r'"));
  CHECK(contains(
      message_of([] { sdekit::make_reaction_network({"S"}, {9.0}, reaction("birth", "S -> 2S", mass_action(-1))); }),
      "rate constant of reaction 'birth' = -1"));
  CHECK(
      contains(message_of([] { sdekit::make_reaction_network({"S"}, {-3.0}, reaction("r", "S ->", mass_action(1))); }),
               "initial count of species 'S' = -3"));
  CHECK(contains(message_of([] { sdekit::make_reaction_network({"S"}, {2.5}, reaction("r", "S ->", mass_action(1))); }),
                 "initial count of species 'S' = 2.5"));
  CHECK(contains(message_of([] {
                   sdekit::make_reaction_network({"S", "S"}, {1.0, 1.0}, reaction("r", "S ->", mass_action(1)));
                 }),
                 "species[1] = 'S' must be unique"));
  CHECK(
      contains(message_of([] { sdekit::make_reaction_network({"2S"}, {1.0}, reaction("r", "2S ->", mass_action(1))); }),
               "species[0] = '2S'"));
  CHECK(contains(message_of([] {
                   sdekit::make_reaction_network({"S"}, {1.0}, reaction("r", "S ->", mass_action(1)),
                                                 reaction("r", "-> S", mass_action(1)));
                 }),
                 "name of reaction 1 = 'r' must be unique"));

  // A propensity that turns negative at run time: a direct call throws, inside an ensemble the particle fails.
  const auto bad = sdekit::make_reaction_network(
      {"X"}, {5.0}, reaction("death", "X ->", mass_action(1.0)),
      reaction("bad", "-> X", [](const Eigen::Matrix<double, 1, 1>& x) { return 3.0 - x[0]; }));
  CHECK(contains(message_of([&] { bad.propensities(Eigen::Matrix<double, 1, 1>(5.0)); }),
                 "propensity of reaction 'bad' = -2 must be non-negative and finite"));
  sdekit::JumpOptions o;
  o.particles = 10;
  o.t1 = 1;
  for (const auto& r : {sdekit::simulate_ssa(bad, o), sdekit::simulate_tau_leaping(bad, o)}) {
    REQUIRE(r.failures.size() == 10);
    CHECK(contains(r.failures[3].reason, "propensity of reaction 'bad' = -2"));
    CHECK(r.statistics[0].alive == 0);
  }
  // A custom propensity that lets a reaction fire without its reactant.
  const auto leaky = sdekit::make_reaction_network(
      {"X"}, {0.0}, reaction("leak", "X ->", [](const Eigen::Matrix<double, 1, 1>&) { return 100.0; }));
  const auto lr = sdekit::simulate_ssa(leaky, o);
  REQUIRE(lr.failures.size() == 10);
  CHECK(contains(lr.failures[0].reason, "count of species 'X' = -1 became negative when reaction 'leak' fired"));
  sdekit::TauLeapingOptions t;
  t.epsilon = 0;
  CHECK(contains(message_of([&] { sdekit::simulate_tau_leaping(bad, o, t); }), "epsilon = 0"));
  CHECK(contains(message_of([&] { bad.species_index("Y"); }), "name = Y"));
}

TEST_CASE("the chemical Langevin SDE: drift, one noise column per reaction, propensities clamped at 0") {
  const auto net = sdekit::make_reaction_network(
      {"S", "I", "R"}, {990.0, 10.0, 0.0}, sdekit::reaction("infection", "S + I -> 2 I", sdekit::mass_action(0.001)),
      sdekit::reaction("recovery", "I -> R", sdekit::mass_action(0.1)));
  const auto cle = sdekit::chemical_langevin(net);
  static_assert(sdekit::noise_kind_v<std::decay_t<decltype(cle)>, Eigen::Vector3d> == sdekit::NoiseKind::general);
  const Eigen::Vector3d x(500, 40, 460);
  const double a1 = 0.001 * 500 * 40, a2 = 0.1 * 40;
  const Eigen::Vector3d drift = cle.drift(x, 0.0);
  CHECK(drift[0] == doctest::Approx(-a1));
  CHECK(drift[1] == doctest::Approx(a1 - a2));
  CHECK(drift[2] == doctest::Approx(a2));
  const auto b = cle.diffusion(x, 0.0);
  CHECK(b.cols() == 2);
  CHECK(b(0, 0) == doctest::Approx(-std::sqrt(a1)));
  CHECK(b(1, 0) == doctest::Approx(std::sqrt(a1)));
  CHECK(b(1, 1) == doctest::Approx(-std::sqrt(a2)));
  CHECK(b(2, 1) == doctest::Approx(std::sqrt(a2)));
  CHECK(b(2, 0) == 0.0);
  // I < 0: both propensities are negative as formulas; clamped, the drift and the noise vanish.
  const Eigen::Vector3d below(500, -0.5, 500);
  CHECK(cle.drift(below, 0.0).cwiseAbs().maxCoeff() == 0.0);
  CHECK(cle.diffusion(below, 0.0).cwiseAbs().maxCoeff() == 0.0);
  // One reaction, two species: a second, zero column keeps the single Wiener process shared.
  const auto one = sdekit::make_reaction_network({"A", "B"}, {5.0, 0.0},
                                                 sdekit::reaction("convert", "A -> B", sdekit::mass_action(1.0)));
  const auto b1 = sdekit::chemical_langevin(one).diffusion(Eigen::Vector2d(4, 1), 0.0);
  CHECK(b1(0, 0) == doctest::Approx(-2.0));
  CHECK(b1(1, 0) == doctest::Approx(2.0));
  CHECK(b1.col(1).cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("at large counts tau-leaping leaps: far fewer random draws than SSA events") {
  // Immigration–death at its stationary mean 10^4 (α = 1000, μ = 0.1): about 2000 events per unit time.
  const auto net =
      sdekit::make_reaction_network({"X"}, {10000.0}, sdekit::reaction("in", "-> X", sdekit::mass_action(1000)),
                                    sdekit::reaction("out", "X ->", sdekit::mass_action(0.1)));
  Eigen::Matrix<double, 1, 1> x_ssa = net.initial_counts(), x_tau = net.initial_counts();
  sdekit::RandomStream ssa_rng(61, 0, 1), tau_rng(61, 0, 1);
  net.ssa_advance(x_ssa, 0.0, 1.0, ssa_rng);
  net.tau_leap_advance(x_tau, 0.0, 1.0, tau_rng, {});
  // The SSA uses one 4-word Philox block (two uniforms) per event; a leap needs a handful of draws.
  CHECK(ssa_rng.blocks_drawn() > 1500);
  CHECK(tau_rng.blocks_drawn() < 50);
  // One unit of time moves X by about ±sqrt(2000) ≈ 45 around 10^4 either way.
  CHECK(std::abs(x_tau[0] - 10000) < 400);
  CHECK(std::abs(x_ssa[0] - 10000) < 400);
}

TEST_CASE("JumpOptions::observe_dt only sets where the state is observed; EnsembleOptions still works, deprecated") {
  const auto net = immigration_death(50, 0.5);
  sdekit::JumpOptions o;
  o.particles = 200;
  o.seed = 61;
  o.t1 = 4;
  o.save_times = {1, 4};
  o.keep_paths = {3};
  const auto saves_only = sdekit::simulate_ssa(net, o);
  CHECK(saves_only.paths[0].times == std::vector<double>{0, 1, 4});
  o.observe_dt = 0.5;
  const auto observed = sdekit::simulate_ssa(net, o);
  CHECK(observed.paths[0].times.size() == 9);
  // The EnsembleOptions overloads (dt = the observation spacing) give the same bits.
  sdekit::EnsembleOptions e;
  static_cast<sdekit::RunOptions&>(e) = o;
  e.t1 = o.t1;
  e.save_times = o.save_times;
  e.dt = o.observe_dt;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const auto old_ssa = sdekit::simulate_ssa(net, e);
  const auto old_tau = sdekit::simulate_tau_leaping(net, e);
#pragma GCC diagnostic pop
  const auto tau = sdekit::simulate_tau_leaping(net, o);
  for (std::size_t s = 0; s < 2; ++s) {
    CHECK((old_ssa.values[s].array() == observed.values[s].array()).all());
    CHECK((old_tau.values[s].array() == tau.values[s].array()).all());
  }
  o.observe_dt = -1;
  CHECK(message_of([&] { sdekit::simulate_ssa(net, o); }) ==
        "sdekit::simulate_ssa: observe_dt = -1 must be 0 (save times only) or positive");
}

TEST_CASE("tau-leaping diagnostics: leaps at large counts, exact steps at small ones, the same for 1 and 2 threads") {
  const auto large =
      sdekit::make_reaction_network({"X"}, {10000.0}, sdekit::reaction("in", "-> X", sdekit::mass_action(1000)),
                                    sdekit::reaction("out", "X ->", sdekit::mass_action(0.1)));
  const auto small =
      sdekit::make_reaction_network({"X"}, {20.0}, sdekit::reaction("out", "X ->", sdekit::mass_action(1.0)));
  sdekit::JumpOptions o;
  o.particles = 64;
  o.seed = 8;
  o.t1 = 1;
  o.observe_dt = 0.5;
  auto run = [&](const auto& net, int threads) {
    auto oo = o;
    oo.threads = threads;
    sdekit::TauLeapingDiagnostics d;
    (void)sdekit::simulate_tau_leaping(net, oo, {}, &d);
    return d;
  };
  const auto big = run(large, 2), tiny = run(small, 2);
  MESSAGE("X ~ 10^4: " << big.leaps << " leaps, " << big.rejected_leaps << " rejected, " << big.exact_steps
                       << " exact steps; X <= 20: " << tiny.leaps << " leaps, " << tiny.exact_steps << " exact steps");
  // At 10^4 the CGP step is ~ε·10^4/2000 = 0.15 time units: a few leaps per grid step, no exact steps.
  CHECK(big.leaps >= 64 * 2);
  CHECK(big.exact_steps == 0);
  // At 20 molecules τ' < 10/a0, so tau-leaping falls back to exact steps: all 20 deaths of most runs by t = 1.
  CHECK(tiny.exact_steps > 64 * 10);
  CHECK(tiny.leaps <= 64 * 2);  // only the closing leap of a grid step, if any
  const auto big1 = run(large, 1);
  CHECK(big1.leaps == big.leaps);
  CHECK(big1.rejected_leaps == big.rejected_leaps);
  CHECK(big1.exact_steps == big.exact_steps);
}

TEST_CASE("the rate equations: the birth-death ODE x' = k - mu x against its closed form") {
  const double k = 10, mu = 0.1, x0 = 3;
  const auto net = sdekit::make_reaction_network({"X"}, {x0}, sdekit::reaction("in", "-> X", sdekit::mass_action(k)),
                                                 sdekit::reaction("out", "X ->", sdekit::mass_action(mu)));
  const std::vector<double> times{0, 1, 5, 20, 50};
  const auto ode = sdekit::solve_rate_equations(net, times);
  REQUIRE(ode.states.size() == times.size());
  for (std::size_t s = 0; s < times.size(); ++s)
    CHECK(ode.states[s][0] == doctest::Approx(k / mu + (x0 - k / mu) * std::exp(-mu * times[s])).epsilon(1e-6));
  CHECK(ode.evaluations > 0);
  // A linear network: the SSA mean follows the ODE (4.5 SE at t = 5).
  sdekit::JumpOptions o;
  o.particles = 4000;
  o.t1 = 5;
  o.observe_dt = 5;
  const auto ssa = sdekit::simulate_ssa(net, o);
  const auto& st = ssa.statistics.back();
  CHECK(std::abs(st.mean[0] - ode.states[2][0]) < 4.5 * st.standard_error()[0]);
  check_throws_naming([&] { (void)sdekit::solve_rate_equations(net, {}); }, "times.size()");
  check_throws_naming([&] { (void)sdekit::solve_rate_equations(net, {0.0, 2.0, 1.0}); }, "times[2]");
  check_throws_naming([&] { (void)sdekit::solve_rate_equations(net, times, {0.0, 1e-8, 1e-3}); }, "rtol");
}
