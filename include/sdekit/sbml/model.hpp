#pragma once
// SBML models as reaction networks: read_file / read_string turn an SBML document (any level and version libSBML
// reads) into a Model, the runtime description of a network whose propensities are compiled kinetic laws, and
// make_network<N, R> turns that into the ReactionNetwork that simulate_ssa, simulate_tau_leaping and simulate_cle
// take. N and R are the species and reaction counts, fixed at compile time like every ReactionNetwork's; the Model
// says what they are, and make_network checks them.
//
// What is read, for stochastic simulation in molecule counts (the convention of the DSMTS):
//   species      initial amounts, or initial concentrations × compartment size; read as counts (the model's
//                substance unit is taken to be the item: a model in moles must be rescaled first). A species with
//                boundaryCondition or constant set keeps its count: reactions read it but do not change it. In math, a
//                species stands for its amount when hasOnlySubstanceUnits is set, else for amount / compartment size.
//   parameters   global and reaction-local (a local one shadows a global one of the same id); parameters defined by
//                assignment rules and function definitions (both inlined into the kinetic laws that use them);
//                initial assignments (evaluated by libSBML when the model is read; not with function definitions).
//   reactions    irreversible, with whole stoichiometries; the kinetic law, in substance per time, is the propensity
//                in events per time, compiled once into an Expression.
// Refused with std::invalid_argument naming the element's kind and id: events, rate and algebraic rules, assignment
// rules for species or compartments, constraints, reversible or fast reactions, non-whole or computed
// stoichiometries, conversion factors, delays and the time symbol in kinetic laws (propensities must depend on the
// state only), and any math construct the Expression has no instruction for.
#include <sdekit/core/errors.hpp>
#include <sdekit/discrete/reaction_network.hpp>
#include <sdekit/sbml/expression.hpp>

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdekit::sbml {

/// An SBML model as a reaction network description: species in state order, reactions with their equations
/// ("2 A + B -> C", species ids) and compiled kinetic laws.
struct Model {
  std::string id;                        ///< the model's id (may be empty)
  std::vector<std::string> species;      ///< species ids, in state order (document order)
  std::vector<double> initial_counts;    ///< initial count per species
  std::vector<std::string> reactions;    ///< reaction ids, in document order
  std::vector<std::string> equations;    ///< per reaction: "reactants -> products" over the species ids
  std::vector<Expression> kinetic_laws;  ///< per reaction: the propensity as a function of the counts
};

/// Reads the SBML file at `path`; throws std::invalid_argument naming the path when it cannot be read, the libSBML
/// error when the document is malformed, and the element (its kind and id) when it uses something unsupported.
Model read_file(const std::string& path);

/// Reads an SBML document from the string `xml`; throws as read_file.
Model read_string(const std::string& xml);

namespace detail {
template <std::size_t>
using kinetic_law_t = Expression;

template <int N, std::size_t... J>
auto make_network(const Model& model, std::index_sequence<J...>) {
  sdekit::detail::NetworkLayout layout =
      sdekit::detail::make_network_layout(model.species, model.initial_counts, model.reactions, model.equations);
  return ReactionNetwork<N, kinetic_law_t<J>...>(std::move(layout),
                                                 std::tuple<kinetic_law_t<J>...>(model.kinetic_laws[J]...));
}
}  // namespace detail

/// The ReactionNetwork of `model`, whose N species and R reactions must be those of the model (throws
/// std::invalid_argument naming the model and both counts otherwise); its propensities are the compiled kinetic
/// laws. Initial counts other than the model's: ReactionNetwork::with_initial_counts.
template <int N, int R>
auto make_network(const Model& model) {
  static_assert(N >= 1 && R >= 1, "sdekit::sbml::make_network: N (species) and R (reactions) must be at least 1");
  constexpr const char* where = "sdekit::sbml::make_network";
  sdekit::detail::require(model.species.size() == static_cast<std::size_t>(N), where,
                          "species of model '" + model.id + "'", model.species.size(),
                          "must number N = " + std::to_string(N));
  sdekit::detail::require(model.reactions.size() == static_cast<std::size_t>(R), where,
                          "reactions of model '" + model.id + "'", model.reactions.size(),
                          "must number R = " + std::to_string(R));
  sdekit::detail::require(model.equations.size() == model.reactions.size() &&
                              model.kinetic_laws.size() == model.reactions.size() &&
                              model.initial_counts.size() == model.species.size(),
                          where, "model", "'" + model.id + "'",
                          "must have one equation and kinetic law per reaction and one initial count per species");
  for (std::size_t j = 0; j < model.kinetic_laws.size(); ++j)
    sdekit::detail::require(model.kinetic_laws[j].highest_species() < N, where,
                            "species read by the kinetic law of reaction '" + model.reactions[j] + "'",
                            model.kinetic_laws[j].highest_species(), "must be a species index below N");
  return detail::make_network<N>(model, std::make_index_sequence<static_cast<std::size_t>(R)>{});
}

}  // namespace sdekit::sbml
