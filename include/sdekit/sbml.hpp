#pragma once
// The SBML component (sdekit::sbml, built when libSBML is found): SBML models read into reaction networks.
// Not part of <sdekit/sdekit.hpp>; include this header and link sdekit::sbml.
#include <sdekit/sbml/expression.hpp>
#include <sdekit/sbml/model.hpp>
