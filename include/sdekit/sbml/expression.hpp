#pragma once
// The compiled form of an SBML kinetic law: a flat postfix program over a small fixed stack, built once when the
// model is read, so that an event costs a loop over a few instructions and no string is parsed while simulating.
// Parameters, compartment sizes and rules that depend only on constants are folded into constants when the program
// is built; only species counts are read at run time.
#include <sdekit/core/errors.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace sdekit::sbml {

/// What one instruction of an Expression does to the stack (a, b: the values popped, b on top).
enum class Op : std::uint8_t {
  constant,       ///< push Instruction::value
  species,        ///< push x[Instruction::index] (a count) divided by Instruction::value (1, or a volume)
  add,            ///< a + b
  subtract,       ///< a − b
  multiply,       ///< a · b
  divide,         ///< a / b
  negate,         ///< −b
  power,          ///< a^b (std::pow)
  exp,            ///< e^b
  ln,             ///< natural logarithm of b
  log10,          ///< base-10 logarithm of b
  sqrt,           ///< √b
  abs,            ///< |b|
  floor,          ///< ⌊b⌋
  ceil,           ///< ⌈b⌉
  sin,            ///< sin b
  cos,            ///< cos b
  tan,            ///< tan b
  factorial,      ///< b! = Γ(b + 1)
  min,            ///< min(a, b)
  max,            ///< max(a, b)
  less,           ///< a < b (1 or 0)
  less_equal,     ///< a ≤ b
  greater,        ///< a > b
  greater_equal,  ///< a ≥ b
  equal,          ///< a = b
  not_equal,      ///< a ≠ b
  logical_and,    ///< a ∧ b (non-zero is true)
  logical_or,     ///< a ∨ b
  logical_xor,    ///< a ⊕ b
  logical_not,    ///< ¬b
  select          ///< pops value, condition, otherwise (otherwise on top): condition ≠ 0 ? value : otherwise
};

/// One instruction: an operation and its operand (the species index and divisor of Op::species, the value of
/// Op::constant).
struct Instruction {
  Op op = Op::constant;  ///< the operation
  int index = 0;         ///< species index (Op::species)
  double value = 0;      ///< constant (Op::constant) or divisor of the species count (Op::species)
};

/// The deepest stack an Expression may need; deeper expressions are refused when built (an SBML kinetic law
/// nested this deeply is almost certainly not a rate law).
inline constexpr int max_stack_depth = 64;

/// A compiled kinetic law: evaluates to a number from a vector of species counts. Built from a checked program, so
/// evaluation never over- or underflows its stack.
class Expression {
 public:
  /// The expression 0.
  Expression() : program_{Instruction{}}, shape_(Shape::constant) {}

  /// The expression that runs `program`; throws std::invalid_argument naming `what` (e.g. "kinetic law of reaction
  /// 'R1'") when the program would underflow the stack, leave other than one value, need more than max_stack_depth
  /// values, or read a negative species index.
  explicit Expression(std::vector<Instruction> program, const std::string& what = "program")
      : program_(std::move(program)) {
    int depth = 0;
    for (std::size_t i = 0; i < program_.size(); ++i) {
      const Instruction& in = program_[i];
      const auto [pops, pushes] = arity(in.op);
      if (depth < pops)
        detail::throw_invalid("sdekit::sbml::Expression", what + ": instruction", i, "pops an empty stack");
      if (in.op == Op::species) {
        detail::require(in.index >= 0, "sdekit::sbml::Expression", what + ": species index", in.index,
                        "must be non-negative");
        highest_species_ = std::max(highest_species_, in.index);
        if (std::find(read_.begin(), read_.end(), in.index) == read_.end()) read_.push_back(in.index);
      }
      depth += pushes - pops;
      detail::require(depth <= max_stack_depth, "sdekit::sbml::Expression", what + ": stack depth", depth,
                      "exceeds max_stack_depth (the expression is nested too deeply)");
    }
    detail::require(depth == 1, "sdekit::sbml::Expression", what + ": values left on the stack", depth,
                    "must be exactly 1");
    // The commonest kinetic laws, k and k·X (either order), skip the interpreter; the products are the same, so are
    // the bits.
    const auto amount = [](const Instruction& in) { return in.op == Op::species && in.value == 1; };
    if (program_.size() == 1 && program_[0].op == Op::constant) {
      shape_ = Shape::constant;
      factor_ = program_[0].value;
    } else if (program_.size() == 3 && program_[2].op == Op::multiply) {
      if (program_[0].op == Op::constant && amount(program_[1])) {
        shape_ = Shape::constant_times_species;
        factor_ = program_[0].value;
        species_ = program_[1].index;
      } else if (amount(program_[0]) && program_[1].op == Op::constant) {
        shape_ = Shape::constant_times_species;
        factor_ = program_[1].value;
        species_ = program_[0].index;
      }
    }
  }

  /// The value at the species counts x (any vector indexable by int with at least highest_species() + 1 entries).
  template <class Vector>
  double operator()(const Vector& x) const {
    if (shape_ == Shape::constant) return factor_;
    if (shape_ == Shape::constant_times_species) return factor_ * static_cast<double>(x[species_]);
    std::array<double, max_stack_depth> stack;
    int top = -1;  // index of the top value
    for (const Instruction& in : program_) {
      switch (in.op) {
        case Op::constant:
          stack[++top] = in.value;
          continue;
        case Op::species:
          // A divisor of 1 (amounts) is skipped; a concentration is amount / volume, rounded once as written.
          stack[++top] = in.value == 1 ? static_cast<double>(x[in.index]) : static_cast<double>(x[in.index]) / in.value;
          continue;
        case Op::negate:
          stack[top] = -stack[top];
          continue;
        case Op::exp:
          stack[top] = std::exp(stack[top]);
          continue;
        case Op::ln:
          stack[top] = std::log(stack[top]);
          continue;
        case Op::log10:
          stack[top] = std::log10(stack[top]);
          continue;
        case Op::sqrt:
          stack[top] = std::sqrt(stack[top]);
          continue;
        case Op::abs:
          stack[top] = std::abs(stack[top]);
          continue;
        case Op::floor:
          stack[top] = std::floor(stack[top]);
          continue;
        case Op::ceil:
          stack[top] = std::ceil(stack[top]);
          continue;
        case Op::sin:
          stack[top] = std::sin(stack[top]);
          continue;
        case Op::cos:
          stack[top] = std::cos(stack[top]);
          continue;
        case Op::tan:
          stack[top] = std::tan(stack[top]);
          continue;
        case Op::factorial:
          stack[top] = std::tgamma(stack[top] + 1);
          continue;
        case Op::logical_not:
          stack[top] = stack[top] == 0 ? 1.0 : 0.0;
          continue;
        case Op::select: {
          const double otherwise = stack[top--];
          const double condition = stack[top--];
          stack[top] = condition != 0 ? stack[top] : otherwise;
          continue;
        }
        default:
          break;
      }
      const double b = stack[top--];
      double& a = stack[top];
      switch (in.op) {
        case Op::add:
          a = a + b;
          break;
        case Op::subtract:
          a = a - b;
          break;
        case Op::multiply:
          a = a * b;
          break;
        case Op::divide:
          a = a / b;
          break;
        case Op::power:
          a = std::pow(a, b);
          break;
        case Op::min:
          a = std::min(a, b);
          break;
        case Op::max:
          a = std::max(a, b);
          break;
        case Op::less:
          a = a < b ? 1.0 : 0.0;
          break;
        case Op::less_equal:
          a = a <= b ? 1.0 : 0.0;
          break;
        case Op::greater:
          a = a > b ? 1.0 : 0.0;
          break;
        case Op::greater_equal:
          a = a >= b ? 1.0 : 0.0;
          break;
        case Op::equal:
          a = a == b ? 1.0 : 0.0;
          break;
        case Op::not_equal:
          a = a != b ? 1.0 : 0.0;
          break;
        case Op::logical_and:
          a = (a != 0 && b != 0) ? 1.0 : 0.0;
          break;
        case Op::logical_or:
          a = (a != 0 || b != 0) ? 1.0 : 0.0;
          break;
        case Op::logical_xor:
          a = ((a != 0) != (b != 0)) ? 1.0 : 0.0;
          break;
        default:
          break;
      }
    }
    return stack[0];
  }

  /// The instructions, in execution order.
  const std::vector<Instruction>& program() const { return program_; }
  /// The highest species index the expression reads, −1 when it reads none.
  int highest_species() const { return highest_species_; }
  /// True when the expression reads the count of species i. ReactionNetwork's dependency graph asks this, so that
  /// an event recomputes only the kinetic laws that read a species it changed (as for mass-action propensities).
  bool reads_species(int i) const { return std::find(read_.begin(), read_.end(), i) != read_.end(); }

  /// How many values `op` pops and pushes.
  static std::pair<int, int> arity(Op op) {
    switch (op) {
      case Op::constant:
      case Op::species:
        return {0, 1};
      case Op::negate:
      case Op::exp:
      case Op::ln:
      case Op::log10:
      case Op::sqrt:
      case Op::abs:
      case Op::floor:
      case Op::ceil:
      case Op::sin:
      case Op::cos:
      case Op::tan:
      case Op::factorial:
      case Op::logical_not:
        return {1, 1};
      case Op::select:
        return {3, 1};
      default:
        return {2, 1};
    }
  }

 private:
  enum class Shape : std::uint8_t { general, constant, constant_times_species };
  std::vector<Instruction> program_;
  Shape shape_ = Shape::general;  // a law evaluated without the interpreter
  double factor_ = 0;             // its constant
  int species_ = 0;               // and species
  int highest_species_ = -1;
  std::vector<int> read_;  // the species indices read, each once
};

}  // namespace sdekit::sbml
