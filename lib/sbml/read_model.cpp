// Reading SBML into sdekit::sbml::Model: libSBML parses the document and evaluates its initial assignments, and the
// kinetic laws' abstract syntax trees are compiled into Expression programs, with function definitions and the
// assignment rules of parameters inlined. Everything this reader cannot represent exactly is refused by name (see
// <sdekit/sbml/model.hpp>).
#include <sdekit/sbml/model.hpp>

#include <sbml/SBMLTypes.h>
#include <sbml/SBMLTransforms.h>
#include <sbml/math/L3FormulaFormatter.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

// libSBML's names are global (Debian builds it without its C++ namespace) or in its namespace brought into the
// global one here: either way ::Model is libSBML's and Model, inside sdekit::sbml, is ours.
LIBSBML_CPP_NAMESPACE_USE

namespace sdekit::sbml {
namespace {

using sdekit::detail::throw_invalid;

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

// "<where>: SBML <kind> = '<id>' <why>", the form of every refusal.
[[noreturn]] void refuse(const std::string& where, const std::string& kind, const std::string& id,
                         const std::string& why) {
  throw_invalid(where, "SBML " + kind, in_quotes(id), why);
}

std::string formula(const ::ASTNode* node) {
  char* text = ::SBML_formulaToL3String(node);
  std::string out = text ? text : "?";
  std::free(text);
  return out;
}

// What a name in a kinetic law can stand for.
struct Symbols {
  std::map<std::string, int> species;                // id -> state index
  std::map<std::string, double> species_divisor;     // id -> 1 (amount) or compartment size (concentration)
  std::map<std::string, double> constants;           // compartments with a size, parameters with a value
  std::set<std::string> unset;                       // compartments and parameters without a value
  std::map<std::string, const ::ASTNode*> assigned;  // parameters defined by an assignment rule
  std::set<std::string> reactions;                   // reaction ids (their rates are not available as symbols)
  const ::Model* model = nullptr;                    // for function definitions
};

// Bounds on what one kinetic law may expand to, so that hostile input (deep nesting, functions that call each other
// twice per level) is refused instead of exhausting the stack or memory.
constexpr int max_nesting = 500;
constexpr std::size_t max_instructions = 100000;

// Compiles one kinetic law (the law of reaction `reaction`) into postfix instructions.
class Compiler {
 public:
  Compiler(const Symbols& symbols, std::map<std::string, double> locals, std::string where, std::string reaction)
      : symbols_(symbols), locals_(std::move(locals)), where_(std::move(where)), reaction_(std::move(reaction)) {}

  std::vector<Instruction> compile(const ::ASTNode* node) {
    emit(node);
    return std::move(out_);
  }

 private:
  [[noreturn]] void unsupported(const ::ASTNode* node, const std::string& why) const {
    refuse(where_, "kinetic law of reaction", reaction_, "uses " + formula(node) + ", " + why);
  }

  void append(const Instruction& in) {
    if (out_.size() >= max_instructions)
      refuse(where_, "kinetic law of reaction", reaction_,
             "expands to more than " + std::to_string(max_instructions) + " instructions");
    out_.push_back(in);
  }
  void push(double value) { append({Op::constant, 0, value}); }
  // Appends `o`, or folds it into one constant when its operands are constants: in postfix the operands of `o` are the
  // last values pushed, so when the last `pops` instructions are constant pushes they are exactly its operands. The
  // fold runs the same operation on the same values, so the bits are those of evaluating it at every event.
  void op(Op o) {
    const auto pops = static_cast<std::size_t>(Expression::arity(o).first);
    const std::size_t n = out_.size();
    if (n >= pops && std::all_of(out_.end() - static_cast<std::ptrdiff_t>(pops), out_.end(),
                                 [](const Instruction& in) { return in.op == Op::constant; })) {
      std::vector<Instruction> operands(out_.end() - static_cast<std::ptrdiff_t>(pops), out_.end());
      operands.push_back({o, 0, 0});
      const double value = Expression(std::move(operands), "constant subexpression")(Eigen::VectorXd());
      out_.resize(n - pops);
      push(value);
      return;
    }
    append({o, 0, 0});
  }

  void children(const ::ASTNode* node) {
    for (unsigned i = 0; i < node->getNumChildren(); ++i) emit(node->getChild(i));
  }
  // An n-ary operator as a left fold; `empty` is its value with no operands.
  void fold(const ::ASTNode* node, Op o, double empty) {
    const unsigned n = node->getNumChildren();
    if (n == 0) return push(empty);
    emit(node->getChild(0));
    for (unsigned i = 1; i < n; ++i) {
      emit(node->getChild(i));
      op(o);
    }
  }
  void unary(const ::ASTNode* node, Op o) {
    if (node->getNumChildren() != 1) unsupported(node, "which needs exactly one argument");
    emit(node->getChild(0));
    op(o);
  }
  void binary(const ::ASTNode* node, Op o) {
    if (node->getNumChildren() != 2) unsupported(node, "which needs exactly two arguments");
    children(node);
    op(o);
  }

  void name(const ::ASTNode* node) {
    const std::string id = node->getName() ? node->getName() : "";
    if (frame_ >= 0) {  // inside a function body: its arguments first, compiled where the call was
      const auto& arguments = frames_[static_cast<std::size_t>(frame_)].arguments;
      if (const auto a = arguments.find(id); a != arguments.end()) {
        const int saved = frame_;
        frame_ = a->second.second;
        emit(a->second.first);
        frame_ = saved;
        return;
      }
    }
    if (use_locals_)
      if (const auto l = locals_.find(id); l != locals_.end()) return push(l->second);  // local shadows global
    if (const auto s = symbols_.species.find(id); s != symbols_.species.end())
      return append({Op::species, s->second, symbols_.species_divisor.at(id)});
    if (const auto a = symbols_.assigned.find(id); a != symbols_.assigned.end()) {
      if (std::find(expanding_.begin(), expanding_.end(), id) != expanding_.end())
        refuse(where_, "assignment rule for parameter", id, "refers to itself (through the rules it uses)");
      // A rule's math is global: no function arguments, no local parameters of this reaction.
      const int saved_frame = frame_;
      const bool saved_locals = use_locals_;
      frame_ = -1;
      use_locals_ = false;
      expanding_.push_back(id);
      emit(a->second);
      expanding_.pop_back();
      frame_ = saved_frame;
      use_locals_ = saved_locals;
      return;
    }
    if (const auto c = symbols_.constants.find(id); c != symbols_.constants.end()) return push(c->second);
    if (symbols_.unset.count(id))
      refuse(where_, "compartment or parameter", id,
             "has no value (no size or value attribute, no rule or initial assignment) but the kinetic law of "
             "reaction " +
                 in_quotes(reaction_) + " uses it");
    if (symbols_.reactions.count(id))
      refuse(where_, "kinetic law of reaction", reaction_,
             "uses the rate of reaction " + in_quotes(id) + " as a symbol, which is not supported");
    refuse(where_, "kinetic law of reaction", reaction_, "uses the unknown symbol " + in_quotes(id));
  }

  // A call of a function definition, inlined: its body compiled with the call's arguments bound to its bvars.
  void call(const ::ASTNode* node) {
    const std::string id = node->getName() ? node->getName() : "";
    const ::FunctionDefinition* f = symbols_.model ? symbols_.model->getFunctionDefinition(id) : nullptr;
    if (!f || !f->getBody()) unsupported(node, "a function that is not defined in the model");
    if (f->getNumArguments() != node->getNumChildren())
      unsupported(node, "with " + std::to_string(node->getNumChildren()) + " arguments where function " +
                            in_quotes(id) + " takes " + std::to_string(f->getNumArguments()));
    if (std::find(calling_.begin(), calling_.end(), id) != calling_.end())
      refuse(where_, "function", id, "calls itself (through the functions it calls)");
    Frame frame;
    for (unsigned i = 0; i < f->getNumArguments(); ++i) {
      const ::ASTNode* bvar = f->getArgument(i);
      if (!bvar || !bvar->getName()) refuse(where_, "function", id, "has an argument without a name");
      frame.arguments[bvar->getName()] = {node->getChild(i), frame_};
    }
    frames_.push_back(std::move(frame));
    const int saved = frame_;
    frame_ = static_cast<int>(frames_.size()) - 1;
    calling_.push_back(id);
    emit(f->getBody());
    calling_.pop_back();
    frame_ = saved;
  }

  void piecewise(const ::ASTNode* node) {
    // piecewise(v1, c1, …, vn, cn[, otherwise]): every branch is evaluated (they are cheap and side-effect free) and
    // n selects from the right pick the first true one; without an otherwise the value is undefined (NaN), which
    // the network reports as a bad propensity of this reaction.
    const unsigned n = node->getNumChildren();
    const unsigned pairs = n / 2;
    children(node);
    if (n % 2 == 0) push(std::numeric_limits<double>::quiet_NaN());
    for (unsigned i = 0; i < pairs; ++i) op(Op::select);
  }

  void emit(const ::ASTNode* node) {
    if (!node) refuse(where_, "kinetic law of reaction", reaction_, "has no math");
    if (++nesting_ > max_nesting)
      refuse(where_, "kinetic law of reaction", reaction_,
             "is nested more than " + std::to_string(max_nesting) + " deep");
    emit_node(node);
    --nesting_;
  }

  void emit_node(const ::ASTNode* node) {
    switch (node->getType()) {
      case ::AST_INTEGER:
        return push(static_cast<double>(node->getInteger()));
      case ::AST_REAL:
      case ::AST_REAL_E:
      case ::AST_RATIONAL:
        return push(node->getReal());
      case ::AST_CONSTANT_E:
        return push(std::exp(1.0));
      case ::AST_CONSTANT_PI:
        return push(3.14159265358979323846);
      case ::AST_CONSTANT_TRUE:
        return push(1);
      case ::AST_CONSTANT_FALSE:
        return push(0);
      case ::AST_NAME_AVOGADRO:
        return push(6.02214076e23);
      case ::AST_NAME:
        return name(node);
      case ::AST_NAME_TIME:
        unsupported(node, "the time symbol: propensities must depend on the state only");
      case ::AST_FUNCTION_DELAY:
        unsupported(node, "a delay, which this simulator does not support");
      case ::AST_FUNCTION:
        return call(node);
      case ::AST_PLUS:
        return fold(node, Op::add, 0);
      case ::AST_TIMES:
        return fold(node, Op::multiply, 1);
      case ::AST_MINUS:
        if (node->getNumChildren() == 1) return unary(node, Op::negate);
        return binary(node, Op::subtract);
      case ::AST_DIVIDE:
        return binary(node, Op::divide);
      case ::AST_POWER:
      case ::AST_FUNCTION_POWER:
        return binary(node, Op::power);
      case ::AST_FUNCTION_EXP:
        return unary(node, Op::exp);
      case ::AST_FUNCTION_LN:
        return unary(node, Op::ln);
      case ::AST_FUNCTION_LOG:
        if (node->getNumChildren() == 1) return unary(node, Op::log10);
        if (node->getNumChildren() != 2) unsupported(node, "which needs a base and one argument");
        // log_b(x) = ln x / ln b; children are (base, x).
        emit(node->getChild(1));
        op(Op::ln);
        emit(node->getChild(0));
        op(Op::ln);
        return op(Op::divide);
      case ::AST_FUNCTION_ROOT:
        if (node->getNumChildren() == 1) return unary(node, Op::sqrt);
        if (node->getNumChildren() != 2) unsupported(node, "which needs a degree and one argument");
        // root(n, x) = x^(1/n); children are (degree, x).
        emit(node->getChild(1));
        push(1);
        emit(node->getChild(0));
        op(Op::divide);
        return op(Op::power);
      case ::AST_FUNCTION_ABS:
        return unary(node, Op::abs);
      case ::AST_FUNCTION_FLOOR:
        return unary(node, Op::floor);
      case ::AST_FUNCTION_CEILING:
        return unary(node, Op::ceil);
      case ::AST_FUNCTION_SIN:
        return unary(node, Op::sin);
      case ::AST_FUNCTION_COS:
        return unary(node, Op::cos);
      case ::AST_FUNCTION_TAN:
        return unary(node, Op::tan);
      case ::AST_FUNCTION_FACTORIAL:
        return unary(node, Op::factorial);
      case ::AST_FUNCTION_MIN:
        if (node->getNumChildren() == 0) unsupported(node, "which needs at least one argument");
        return fold(node, Op::min, 0);
      case ::AST_FUNCTION_MAX:
        if (node->getNumChildren() == 0) unsupported(node, "which needs at least one argument");
        return fold(node, Op::max, 0);
      case ::AST_FUNCTION_PIECEWISE:
        return piecewise(node);
      case ::AST_RELATIONAL_LT:
        return binary(node, Op::less);
      case ::AST_RELATIONAL_LEQ:
        return binary(node, Op::less_equal);
      case ::AST_RELATIONAL_GT:
        return binary(node, Op::greater);
      case ::AST_RELATIONAL_GEQ:
        return binary(node, Op::greater_equal);
      case ::AST_RELATIONAL_EQ:
        return binary(node, Op::equal);
      case ::AST_RELATIONAL_NEQ:
        return binary(node, Op::not_equal);
      case ::AST_LOGICAL_AND:
        return fold(node, Op::logical_and, 1);
      case ::AST_LOGICAL_OR:
        return fold(node, Op::logical_or, 0);
      case ::AST_LOGICAL_XOR:
        return fold(node, Op::logical_xor, 0);
      case ::AST_LOGICAL_NOT:
        return unary(node, Op::logical_not);
      default:
        unsupported(node, "an operation this reader does not support");
    }
  }

  const Symbols& symbols_;
  std::map<std::string, double> locals_;
  std::string where_;
  std::string reaction_;
  struct Frame {
    std::map<std::string, std::pair<const ::ASTNode*, int>> arguments;  // bvar -> (argument, frame it is compiled in)
  };
  std::vector<std::string> expanding_;  // rule-defined parameters being inlined, to catch cycles
  std::vector<std::string> calling_;    // functions being inlined, to catch recursion
  std::vector<Frame> frames_;           // one per inlined call
  int frame_ = -1;                      // the call whose body is being compiled, -1 outside functions
  bool use_locals_ = true;              // false while compiling a rule's math
  int nesting_ = 0;
  std::vector<Instruction> out_;
};

// Replaces the initial assignments by the values they compute (libSBML's SBMLTransforms, called directly: its
// converter first runs a full consistency check, which crashes libSBML on some malformed documents and refuses
// common models over warnings); refuses naming the first assignment it cannot evaluate.
void expand_initial_assignments(::Model& m, const std::string& where) {
  if (m.getNumFunctionDefinitions() > 0)
    refuse(where, "initial assignment of", m.getInitialAssignment(0)->getSymbol(),
           "is not supported in a model with function definitions");
  (void)::SBMLTransforms::expandInitialAssignments(&m);
  if (m.getNumInitialAssignments() > 0)
    refuse(where, "initial assignment of", m.getInitialAssignment(0)->getSymbol(),
           "could not be evaluated (it must depend on constants and initial values only)");
}

// A whole, non-negative count from an amount; refuses otherwise.
double whole_count(double amount, const std::string& where, const std::string& species) {
  const double rounded = std::round(amount);
  // Counts are exact in a double up to 2^53.
  if (!(std::isfinite(amount) && amount >= 0 && rounded <= 9007199254740992.0 &&
        std::abs(amount - rounded) <= 1e-9 * std::max(1.0, rounded)))
    refuse(where, "species", species,
           "has initial amount " + sdekit::detail::to_text(amount) + ", not a non-negative whole number of molecules");
  return rounded;
}

Model read_document(::SBMLDocument& document, const std::string& where) {
  for (unsigned i = 0; i < document.getNumErrors(); ++i) {
    const ::SBMLError* e = document.getError(i);
    if (e->getSeverity() >= ::LIBSBML_SEV_ERROR)
      throw_invalid(where, "document", "line " + std::to_string(e->getLine()), "is not valid SBML: " + e->getMessage());
  }
  if (!document.getModel()) throw_invalid(where, "document", std::string("(no model)"), "has no SBML model");
  if (document.getModel()->getNumInitialAssignments() > 0) expand_initial_assignments(*document.getModel(), where);
  const ::Model& m = *document.getModel();

  // Elements with no place in a state-dependent, event-free jump process.
  if (m.getNumEvents() > 0)
    refuse(where, "event", m.getEvent(0)->getId(), "is not supported (events are not simulated; remove it)");
  if (m.getNumConstraints() > 0)
    refuse(where, "constraint", formula(m.getConstraint(0)->getMath()),
           "is not supported (constraints are not checked)");
  if (m.isSetConversionFactor())
    refuse(where, "conversion factor of model", m.getConversionFactor(), "is not supported");

  // One namespace for the ids of compartments, species, parameters, reactions and functions (SBML's SId rule, which
  // libSBML checks only in a full consistency check, not when it reads).
  std::map<std::string, std::string> ids;
  auto declare = [&](const std::string& id, const char* kind) {
    if (id.empty()) refuse(where, kind, id, "has no id");
    const auto [it, inserted] = ids.emplace(id, kind);
    if (!inserted) refuse(where, kind, id, "repeats the id of a " + it->second);
  };
  for (unsigned i = 0; i < m.getNumFunctionDefinitions(); ++i) declare(m.getFunctionDefinition(i)->getId(), "function");
  for (unsigned i = 0; i < m.getNumCompartments(); ++i) declare(m.getCompartment(i)->getId(), "compartment");
  for (unsigned i = 0; i < m.getNumSpecies(); ++i) declare(m.getSpecies(i)->getId(), "species");
  for (unsigned i = 0; i < m.getNumParameters(); ++i) declare(m.getParameter(i)->getId(), "parameter");
  for (unsigned i = 0; i < m.getNumReactions(); ++i) declare(m.getReaction(i)->getId(), "reaction");

  Symbols symbols;
  symbols.model = &m;
  for (unsigned i = 0; i < m.getNumCompartments(); ++i) {
    const ::Compartment* c = m.getCompartment(i);
    if (c->isSetSize()) symbols.constants[c->getId()] = c->getSize();
    else symbols.unset.insert(c->getId());
  }
  for (unsigned i = 0; i < m.getNumParameters(); ++i) {
    const ::Parameter* p = m.getParameter(i);
    if (p->isSetValue()) symbols.constants[p->getId()] = p->getValue();
    else symbols.unset.insert(p->getId());
  }
  for (unsigned i = 0; i < m.getNumRules(); ++i) {
    const ::Rule* r = m.getRule(i);
    if (r->isRate()) refuse(where, "rate rule of variable", r->getVariable(), "is not supported (a continuous change)");
    if (r->isAlgebraic()) refuse(where, "algebraic rule", formula(r->getMath()), "is not supported");
    if (!m.getParameter(r->getVariable()))
      refuse(where, "assignment rule of variable", r->getVariable(),
             "is not supported: only parameters may be defined by assignment rules");
    symbols.assigned[r->getVariable()] = r->getMath();
    symbols.constants.erase(r->getVariable());
    symbols.unset.erase(r->getVariable());
  }

  Model out;
  out.id = m.getId();
  std::set<std::string> fixed;  // boundary or constant species: read by reactions, never changed by them
  for (unsigned i = 0; i < m.getNumSpecies(); ++i) {
    const ::Species* s = m.getSpecies(i);
    const std::string& id = s->getId();
    if (s->isSetConversionFactor()) refuse(where, "conversion factor of species", id, "is not supported");
    const ::Compartment* c = m.getCompartment(s->getCompartment());
    const bool has_size = c && c->isSetSize();
    const double size = has_size ? c->getSize() : std::numeric_limits<double>::quiet_NaN();
    double amount = 0;
    if (s->isSetInitialAmount()) {
      amount = s->getInitialAmount();
    } else if (s->isSetInitialConcentration()) {
      if (!has_size)
        refuse(where, "species", id,
               "has an initial concentration but its compartment " + in_quotes(s->getCompartment()) + " has no size");
      amount = s->getInitialConcentration() * size;
    } else {
      refuse(where, "species", id, "has no initial amount or concentration");
    }
    // In math a species is its concentration unless it has only substance units.
    double divisor = 1;
    if (!s->getHasOnlySubstanceUnits()) {
      if (!has_size || !(size > 0))
        refuse(where, "species", id,
               "is a concentration in math but its compartment " + in_quotes(s->getCompartment()) +
                   " has no positive size (set hasOnlySubstanceUnits or a size)");
      divisor = size;
    }
    symbols.species[id] = static_cast<int>(out.species.size());
    symbols.species_divisor[id] = divisor;
    if (s->getBoundaryCondition() || s->getConstant()) fixed.insert(id);
    out.species.push_back(id);
    out.initial_counts.push_back(whole_count(amount, where, id));
  }
  for (unsigned i = 0; i < m.getNumReactions(); ++i) symbols.reactions.insert(m.getReaction(i)->getId());

  for (unsigned i = 0; i < m.getNumReactions(); ++i) {
    const ::Reaction* r = m.getReaction(i);
    const std::string& id = r->getId();
    if (r->getReversible())
      refuse(where, "reaction", id, "is reversible: split it into two irreversible reactions with their own laws");
    if (r->isSetFast() && r->getFast()) refuse(where, "reaction", id, "is fast, which is not supported");
    if (!r->isSetKineticLaw() || !r->getKineticLaw()->isSetMath()) refuse(where, "reaction", id, "has no kinetic law");
    // Coefficients per species and side, in species order; fixed species are left out of the equation.
    auto side = [&](const ::ListOfSpeciesReferences* list, const char* what) {
      std::map<int, long long> coefficients;
      for (unsigned k = 0; k < list->size(); ++k) {
        const auto* ref = static_cast<const ::SpeciesReference*>(list->get(k));
        const std::string& species = ref->getSpecies();
        if (!symbols.species.count(species))
          refuse(where, std::string(what) + " of reaction " + in_quotes(id), species, "is not a species of the model");
        if (ref->isSetStoichiometryMath())
          refuse(where, "stoichiometry math of reaction " + in_quotes(id), species, "is not supported");
        if (ref->getLevel() >= 3 && !ref->isSetStoichiometry())
          refuse(where, std::string(what) + " of reaction " + in_quotes(id), species, "has no stoichiometry");
        const double nu = ref->getStoichiometry();
        if (!(nu > 0 && nu <= 1000 && std::floor(nu) == nu))
          refuse(where, std::string(what) + " of reaction " + in_quotes(id), species,
                 "has stoichiometry " + sdekit::detail::to_text(nu) + ", not a whole number from 1 to 1000");
        if (fixed.count(species)) continue;
        long long& total = coefficients[symbols.species.at(species)];
        total += static_cast<long long>(nu);
        if (total > 1000)
          refuse(where, std::string(what) + "s of reaction " + in_quotes(id), species,
                 "have a total stoichiometry above 1000");
      }
      std::string text;
      for (const auto& [index, nu] : coefficients) {
        if (!text.empty()) text += " + ";
        if (nu != 1) text += std::to_string(nu) + " ";
        text += out.species[static_cast<std::size_t>(index)];
      }
      return text.empty() ? std::string("0") : text;
    };
    out.equations.push_back(side(r->getListOfReactants(), "reactant") + " -> " +
                            side(r->getListOfProducts(), "product"));
    for (unsigned k = 0; k < r->getNumModifiers(); ++k)
      if (!symbols.species.count(r->getModifier(k)->getSpecies()))
        refuse(where, "modifier of reaction " + in_quotes(id), r->getModifier(k)->getSpecies(),
               "is not a species of the model");

    const ::KineticLaw* law = r->getKineticLaw();
    std::map<std::string, double> locals;
    for (unsigned k = 0; k < law->getNumLocalParameters(); ++k) {
      const ::LocalParameter* p = law->getLocalParameter(k);
      if (!p->isSetValue()) refuse(where, "local parameter of reaction " + in_quotes(id), p->getId(), "has no value");
      locals[p->getId()] = p->getValue();
    }
    for (unsigned k = 0; k < law->getNumParameters(); ++k) {  // Level 2: parameters inside the kinetic law
      const ::Parameter* p = law->getParameter(k);
      if (!p->isSetValue()) refuse(where, "local parameter of reaction " + in_quotes(id), p->getId(), "has no value");
      locals[p->getId()] = p->getValue();
    }
    Compiler compiler(symbols, std::move(locals), where, id);
    out.kinetic_laws.emplace_back(compiler.compile(law->getMath()), "kinetic law of reaction " + in_quotes(id));
    out.reactions.push_back(id);
  }
  if (out.species.empty()) throw_invalid(where, "model", in_quotes(out.id), "has no species");
  if (out.reactions.empty()) throw_invalid(where, "model", in_quotes(out.id), "has no reactions");
  return out;
}

}  // namespace

Model read_file(const std::string& path) {
  const std::string where = "sdekit::sbml::read_file";
  {
    std::ifstream probe(path);
    if (!probe.good()) throw_invalid(where, "path", in_quotes(path), "cannot be opened for reading");
  }
  std::unique_ptr<::SBMLDocument> document(::readSBMLFromFile(path.c_str()));
  return read_document(*document, where + "(" + in_quotes(path) + ")");
}

Model read_string(const std::string& xml) {
  std::unique_ptr<::SBMLDocument> document(::readSBMLFromString(xml.c_str()));
  return read_document(*document, "sdekit::sbml::read_string");
}

}  // namespace sdekit::sbml
