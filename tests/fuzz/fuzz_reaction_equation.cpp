// libFuzzer target: the reaction-equation parser ("S + I -> 2 I") must either accept a network whose stoichiometry is
// consistent, or throw std::invalid_argument naming make_reaction_network, whatever the bytes. The first line holds
// the species names (separated by blanks), every further line one reaction equation.
#include <sdekit/discrete/reaction_network.hpp>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {
std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(separator, start), text.size());
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string_view> lines = split(text, '\n');
  std::vector<std::string> species;
  for (std::string_view name : split(lines[0], ' '))
    if (!name.empty()) species.emplace_back(name);
  std::vector<std::string> names, equations;
  for (std::size_t j = 1; j < lines.size(); ++j) {
    names.push_back("r" + std::to_string(j));
    equations.emplace_back(lines[j]);
  }
  const std::vector<double> counts(species.size(), 1.0);
  try {
    const sdekit::detail::NetworkLayout layout = sdekit::detail::make_network_layout(species, counts, names, equations);
    // What the simulators rely on: one stoichiometry per reaction, species indices in range, positive coefficients,
    // and a net-change matrix of the right shape that agrees with them.
    if (layout.stoichiometry.size() != equations.size()) std::abort();
    if (layout.net_change.rows() != static_cast<Eigen::Index>(species.size()) ||
        layout.net_change.cols() != static_cast<Eigen::Index>(equations.size()))
      std::abort();
    for (std::size_t j = 0; j < layout.stoichiometry.size(); ++j) {
      Eigen::VectorXd change = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(species.size()));
      for (const auto& [s, c] : layout.stoichiometry[j].reactants) {
        if (s >= species.size() || c <= 0) std::abort();
        change[static_cast<Eigen::Index>(s)] -= c;
      }
      for (const auto& [s, c] : layout.stoichiometry[j].products) {
        if (s >= species.size() || c <= 0) std::abort();
        change[static_cast<Eigen::Index>(s)] += c;
      }
      if (change != layout.net_change.col(static_cast<Eigen::Index>(j))) std::abort();
    }
  } catch (const std::invalid_argument& e) {
    if (std::string_view(e.what()).substr(0, 30) != "sdekit::make_reaction_network:") std::abort();
  }
  return 0;
}
