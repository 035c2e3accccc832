// libFuzzer target: the SBML reader must, whatever the bytes, either return a model that the reaction networks accept
// (layout valid, kinetic laws reading only its species and evaluable), or throw std::invalid_argument naming
// sdekit::sbml. libSBML parses the XML; this target checks what sdekit builds from it.
#include <sdekit/sbml/model.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string xml(reinterpret_cast<const char*>(data), size);
  sdekit::sbml::Model model;
  try {
    model = sdekit::sbml::read_string(xml);
  } catch (const std::invalid_argument& e) {
    if (std::string_view(e.what()).substr(0, 14) != "sdekit::sbml::") std::abort();
    return 0;
  }
  // What make_network relies on: one initial count per species, one equation and law per reaction, laws reading only
  // species of the model; and equations and counts that the network's own validation accepts.
  const std::size_t n = model.species.size();
  if (n == 0 || model.initial_counts.size() != n || model.reactions.empty() ||
      model.equations.size() != model.reactions.size() || model.kinetic_laws.size() != model.reactions.size())
    std::abort();
  try {
    (void)sdekit::detail::make_network_layout(model.species, model.initial_counts, model.reactions, model.equations);
  } catch (const std::invalid_argument&) {
    std::abort();  // the reader produced a network description the networks refuse
  }
  Eigen::VectorXd x(static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) x[static_cast<Eigen::Index>(i)] = model.initial_counts[i];
  for (const sdekit::sbml::Expression& law : model.kinetic_laws) {
    if (law.highest_species() >= static_cast<int>(n)) std::abort();
    (void)law(x);  // any value (NaN, negative) is the simulator's to report; it must not crash
  }
  return 0;
}
