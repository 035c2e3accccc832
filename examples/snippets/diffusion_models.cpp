// The compiled snippets of docs/diffusion-models.md (see CONTRIBUTING.md, "Documentation snippets").
#include <sdekit/sdekit.hpp>

#include <cmath>
#include <string>

#include "check.hpp"

using namespace sdekit;
using sdekit_snippets::check;
using V2 = Eigen::Vector2d;

int main() {
  const VpSde<> vp;
  ReverseSampleOptions o;
  o.particles = 10;
  o.steps = 10;
  //[ failures
  auto nan_score = [](const V2& x, double t) { return V2(t < 0.5 ? V2::Constant(NAN) : V2(-x)); };
  const auto r = sample_reverse_sde(vp, nan_score, vp.prior_sampler<V2>(), o);
  // every particle fails; the reason names the score
  const bool named = r.ensemble.failures[0].reason.find("score s(x, t)") != std::string::npos;
  //]
  check(r.ensemble.failures.size() == 10, "all 10 particles fail");
  check(named, "the failure names the score");
  check(r.statistics().alive == 0, "no particle is alive");
  return sdekit_snippets::failures;
}
