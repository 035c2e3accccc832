// The compiled snippets of docs/sbml.md (see CONTRIBUTING.md, "Documentation snippets"): the DSMTS birth–death
// model 001-01 read from its SBML file and simulated.
//[ include
#include <sdekit/sbml.hpp>
//]

#include <cmath>
#include <stdexcept>
#include <string>

#include "check.hpp"

using sdekit_snippets::check;

int main() {
  const std::string path = SDEKIT_DSMTS_DIR "/dsmts-001-01.xml";
  //[ read
  const sdekit::sbml::Model model = sdekit::sbml::read_file(path);  // species X, reactions Birth and Death
  const auto network = sdekit::sbml::make_network<1, 2>(model);     // 1 species, 2 reactions
  sdekit::JumpOptions options;
  options.particles = 2000;
  options.seed = 1;
  options.t1 = 50;
  const auto result = sdekit::simulate_ssa(network, options);
  //]
  // DSMTS 001-01 at t = 50: mean 60.65307, standard deviation 22.38677; within 4.5 standard errors.
  check(std::abs(result.statistics.back().mean[0] - 60.65307) < 4.5 * 22.38677 / std::sqrt(2000.0),
        "mean of X(50) from SBML");
  {
    //[ override
    const auto from_200 = network.with_initial_counts(Eigen::Matrix<double, 1, 1>(200.0));
    //]
    const auto doubled = sdekit::simulate_ssa(from_200, options);
    // From 200 the process is two independent copies from 100: twice the mean, within 4.5 SE (σ√2).
    check(std::abs(doubled.statistics.back().mean[0] - 2 * 60.65307) < 4.5 * 22.38677 * std::sqrt(2.0 / 2000),
          "mean of X(50) from 200");
  }
  bool refused = false;
  try {
    (void)sdekit::sbml::make_network<2, 2>(model);
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  check(refused, "make_network with the wrong species count");
  return sdekit_snippets::failures == 0 ? 0 : 1;
}
