// The non-template part of reaction networks: parsing and validating the species and reaction equations, the
// per-species data tau-leaping's step-size rule needs, and the Poisson draws of tau-leaping.
#include <sdekit/discrete/reaction_network.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>

namespace sdekit {
namespace detail {
namespace {

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  out.append(s);
  out.push_back('\'');
  return out;
}

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// One side of an equation: "" or "0" (nothing), else terms "[coefficient][*] species" joined by '+'.
std::vector<std::pair<std::size_t, int>> parse_side(std::string_view side, const std::vector<std::string>& species,
                                                    const std::string& reaction, const char* where) {
  std::vector<std::pair<std::size_t, int>> out;
  side = trim(side);
  if (side.empty() || side == "0") return out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t plus = side.find('+', start);
    std::string_view term =
        trim(side.substr(start, plus == std::string_view::npos ? std::string_view::npos : plus - start));
    const std::string argument = "term " + quoted(term) + " of reaction " + quoted(reaction);
    std::size_t digits = 0;
    while (digits < term.size() && std::isdigit(static_cast<unsigned char>(term[digits]))) ++digits;
    int coefficient = 1;
    if (digits > 0) {
      require(digits <= 6, where, argument, term, "has a coefficient that is too large");
      coefficient = std::stoi(std::string(term.substr(0, digits)));
      term = trim(term.substr(digits));
      if (!term.empty() && term.front() == '*') term = trim(term.substr(1));
    }
    require(coefficient >= 1, where, argument, coefficient, "must have a positive coefficient");
    require(is_identifier(term), where, argument, term,
            "must be [coefficient] species, e.g. '2 A' (species names are identifiers)");
    const auto it = std::find(species.begin(), species.end(), std::string(term));
    require(it != species.end(), where, "species of reaction " + quoted(reaction), term,
            "is not a species of the network (unknown species)");
    const auto index = static_cast<std::size_t>(it - species.begin());
    auto same = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == index; });
    if (same != out.end()) same->second += coefficient;
    else out.emplace_back(index, coefficient);
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

double log_factorial(double k) {
  static const double table[] = {0.0,
                                 0.0,
                                 0.69314718055994531,
                                 1.7917594692280550,
                                 3.1780538303479456,
                                 4.7874917427820460,
                                 6.5792512120101010,
                                 8.5251613610654143,
                                 10.604602902745251,
                                 12.801827480081469};
  if (k < 10) return table[static_cast<int>(k)];
  // Stirling's series with three correction terms: relative error below 1e-13 for k ≥ 10.
  const double k1 = k + 1;
  const double inv = 1.0 / k1;
  const double inv2 = inv * inv;
  return (k1 - 0.5) * std::log(k1) - k1 + 0.91893853320467274 + inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 / 1260));
}

}  // namespace

Stoichiometry parse_reaction(std::string_view equation, const std::vector<std::string>& species,
                             const std::string& reaction) {
  constexpr const char* where = "sdekit::make_reaction_network";
  const std::size_t arrow = equation.find("->");
  require(arrow != std::string_view::npos, where, "equation of reaction " + quoted(reaction), equation,
          "must have the form 'reactants -> products', e.g. 'S + I -> 2 I'");
  Stoichiometry s;
  s.reactants = parse_side(equation.substr(0, arrow), species, reaction, where);
  s.products = parse_side(equation.substr(arrow + 2), species, reaction, where);
  return s;
}

NetworkLayout make_network_layout(const std::vector<std::string>& species, const std::vector<double>& initial_counts,
                                  const std::vector<std::string>& reaction_names,
                                  const std::vector<std::string>& equations) {
  constexpr const char* where = "sdekit::make_reaction_network";
  NetworkLayout layout;
  for (std::size_t i = 0; i < species.size(); ++i) {
    require(is_identifier(species[i]), where, "species[" + std::to_string(i) + "]", quoted(species[i]),
            "must be an identifier (letters, digits, '_', not starting with a digit)");
    for (std::size_t j = 0; j < i; ++j)
      require(species[j] != species[i], where, "species[" + std::to_string(i) + "]", quoted(species[i]),
              "must be unique (it is also species[" + std::to_string(j) + "])");
    const double c = initial_counts[i];
    require(std::isfinite(c) && c >= 0 && std::floor(c) == c && c <= 9007199254740992.0, where,
            "initial count of species " + quoted(species[i]), c, "must be a non-negative whole number");
  }
  for (std::size_t j = 0; j < reaction_names.size(); ++j) {
    require(!reaction_names[j].empty(), where, "name of reaction " + std::to_string(j), quoted(reaction_names[j]),
            "must not be empty");
    for (std::size_t k = 0; k < j; ++k)
      require(reaction_names[k] != reaction_names[j], where, "name of reaction " + std::to_string(j),
              quoted(reaction_names[j]), "must be unique");
  }
  layout.species = species;
  layout.reactions = reaction_names;
  layout.initial_counts = initial_counts;
  const auto n = static_cast<Eigen::Index>(species.size());
  const auto r = static_cast<Eigen::Index>(equations.size());
  layout.net_change = Eigen::MatrixXd::Zero(n, r);
  layout.highest_order.assign(species.size(), 0);
  layout.highest_order_coefficient.assign(species.size(), 0);
  for (std::size_t j = 0; j < equations.size(); ++j) {
    Stoichiometry s = parse_reaction(equations[j], species, reaction_names[j]);
    int order = 0;
    for (const auto& [i, c] : s.reactants) {
      layout.net_change(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) -= c;
      order += c;
    }
    for (const auto& [i, c] : s.products)
      layout.net_change(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) += c;
    // Highest order of reaction (HOR) per reactant species, and how many of it that reaction takes (CGP 2006).
    for (const auto& [i, c] : s.reactants) {
      if (order > layout.highest_order[i] ||
          (order == layout.highest_order[i] && c > layout.highest_order_coefficient[i])) {
        layout.highest_order[i] = order;
        layout.highest_order_coefficient[i] = c;
      }
    }
    layout.stoichiometry.push_back(std::move(s));
  }
  return layout;
}

}  // namespace detail

std::uint64_t poisson(RandomStream& rng, double mean) {
  detail::require(std::isfinite(mean) && mean >= 0, "sdekit::poisson", "mean", mean, "must be non-negative and finite");
  if (mean == 0) return 0;
  if (mean < 10) {
    // Inversion by sequential search: exact, about mean + 1 iterations.
    double p = std::exp(-mean);
    double cdf = p;
    const double u = rng.uniform();
    std::uint64_t k = 0;
    while (u > cdf && k < 1000) {
      ++k;
      p *= mean / static_cast<double>(k);
      cdf += p;
    }
    return k;
  }
  // PTRS, the transformed rejection of Hörmann (1993), with its published constants.
  const double slam = std::sqrt(mean);
  const double loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double u = rng.uniform() - 0.5;
    const double v = rng.uniform();
    const double us = 0.5 - std::abs(u);
    const double k = std::floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<std::uint64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <= -mean + k * loglam - detail::log_factorial(k))
      return static_cast<std::uint64_t>(k);
  }
}

}  // namespace sdekit
