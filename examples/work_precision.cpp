// Work–precision: for each class of problem (scalar, diagonal, additive noise) the strong error at T = 1 against the
// wall time per path, for every scheme of solvers/ that supports the class, over dt = 2^-1 … 2^-10. What it says:
// at a given accuracy, which scheme is cheapest, and by how much.
//
//   error  mean over the paths of |X_T(dt) − X(T)| (Euclidean norm), every dt integrating the same cached
//          BrownianPath; X(T) exact (the cubic problems) or a reference computed on the same path at dt = 2^-13
//   time   wall time of simulate_ensemble on one thread at that dt (the noise the scheme needs, ΔW or ΔW and
//          I_(1,0), drawn as in any ensemble run) over at least `particles` particles and 2^18 particle-steps,
//          the faster of two runs, divided by the particle count; then fitted as overhead + cost × steps
//
// It prints each curve, the time each scheme needs to reach a target error (interpolated in log–log between the
// measured points; marked * where it is extrapolated beyond the smallest dt along the last segment), and the
// speedups at equal error, writes work_precision.csv and, with gnuplot, work_precision.png.
//
// Options: --paths N (error paths, default 200), --particles N (least timed particles, default 1000).
// Adding a scheme is one line in `schemes` below; a problem class is one call of run_class.
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/solvers.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

using Vec2 = Eigen::Vector2d;
using Path = sdekit::BrownianPath;

/// A scheme under comparison: its name and a stepper.
template <class S>
struct Scheme {
  const char* name;
  S stepper;
};

//[ work_precision_schemes
/// Every scheme compared; each problem class uses those that support it (sdekit::Stepper decides at compile time).
const auto schemes = std::tuple{
    Scheme{"Euler-Maruyama", sdekit::EulerMaruyama{}},
    Scheme{"Milstein", sdekit::Milstein{}},
    Scheme{"stochastic Heun", sdekit::StochasticHeun{}},
    Scheme{"SRIW1", sdekit::Sriw1{}},
    Scheme{"SRA1", sdekit::Sra1{}},
    Scheme{"SRA3", sdekit::Sra3{}},
};
//]

constexpr int first_level = 1, last_level = 10;
/// Timed runs do at least this many particle-steps (more particles at large dt), so short runs are not noise.
constexpr double min_timed_steps = 1 << 18;

struct Point {
  double dt, error, seconds_per_path;  // seconds_per_path: the fit below, at this dt
  double measured_seconds_per_path;
};
struct Curve {
  std::string problem_class, scheme;
  std::vector<Point> points;  // dt decreasing
};

struct Settings {
  int paths = 200;
  std::size_t particles = 1000;
};

/// Error and time of one scheme on one problem class.
template <class S, class P, class X, class Reference>
Curve measure(const char* class_name, const char* scheme_name, const S& stepper, const P& problem, const X& start,
              std::size_t processes, int reference_level, Reference reference, const Settings& settings) {
  Curve curve{class_name, scheme_name, {}};
  std::vector<double> errors(last_level - first_level + 1, 0.0);
  for (int p = 0; p < settings.paths; ++p) {
    Path path(2026, 0.0, std::ldexp(1.0, -reference_level), processes, static_cast<std::uint64_t>(p));
    path.cache(std::size_t{1} << reference_level);
    const X exact = reference(path);
    for (int level = first_level; level <= last_level; ++level) {
      X x = start;
      S s = stepper;
      sdekit::integrate(s, problem, x, 0.0, 1.0, std::ldexp(1.0, -level), path);
      double e;
      if constexpr (std::is_arithmetic_v<X>) e = std::abs(x - exact);
      else e = (x - exact).norm();
      errors[level - first_level] += e / settings.paths;
    }
  }
  for (int level = first_level; level <= last_level; ++level) {
    sdekit::EnsembleOptions options;
    options.particles = std::max(settings.particles, static_cast<std::size_t>(std::ldexp(min_timed_steps, -level)));
    options.seed = 7;
    options.dt = std::ldexp(1.0, -level);
    options.threads = 1;
    double seconds = 1e300;
    for (int repeat = 0; repeat < 2; ++repeat) {  // the faster of two runs: the machine may be shared
      const auto begin = std::chrono::steady_clock::now();
      const auto result = sdekit::simulate_ensemble(stepper, problem, start, options);
      seconds = std::min(seconds, std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
      if (!result.failures.empty())
        std::printf("  (%s, dt = 2^-%d: %zu particles failed)\n", scheme_name, level, result.failures.size());
    }
    const double per_path = seconds / static_cast<double>(options.particles);
    curve.points.push_back({options.dt, errors[level - first_level], per_path, per_path});
  }
  // The time per path is overhead + cost × steps; the cost per step from a least-squares fit over all dt smooths the
  // noise of single runs on a shared machine (the largest runs, which measure it best, weigh the most).
  double sn = 0, st = 0, snn = 0, snt = 0;
  for (const Point& pt : curve.points) {
    const double n = 1 / pt.dt;
    sn += n, st += pt.measured_seconds_per_path, snn += n * n, snt += n * pt.measured_seconds_per_path;
  }
  const double count = static_cast<double>(curve.points.size());
  const double cost = (count * snt - sn * st) / (count * snn - sn * sn);
  // The overhead per path from the first dt, whose run has the most particles and only two steps.
  const double overhead =
      std::max(0.0, curve.points.front().measured_seconds_per_path - cost / curve.points.front().dt);
  for (Point& pt : curve.points) pt.seconds_per_path = overhead + cost / pt.dt;
  return curve;
}

/// Time to reach `target` error, interpolated in log–log between measured points. Below the smallest error measured
/// it is extrapolated (`extrapolated` set): the error falls as dt^p with p fitted over the last four points, and the
/// time grows as the step count 1/dt from the last point. Negative if the curve does not decrease.
double time_at_error(const Curve& c, double target, bool& extrapolated) {
  extrapolated = false;
  const auto& pts = c.points;
  for (std::size_t i = 1; i < pts.size(); ++i) {
    if (pts[i - 1].error >= target && pts[i].error <= target) {
      const double s = std::log(target / pts[i - 1].error) / std::log(pts[i].error / pts[i - 1].error);
      return pts[i - 1].seconds_per_path * std::pow(pts[i].seconds_per_path / pts[i - 1].seconds_per_path, s);
    }
  }
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const std::size_t first = pts.size() - 4;
  for (std::size_t i = first; i < pts.size(); ++i) {
    const double x = std::log(pts[i].dt), y = std::log(pts[i].error);
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  const double order = (4 * sxy - sx * sy) / (4 * sxx - sx * sx);
  if (order <= 0 || pts.back().error < target) return -1;
  extrapolated = true;
  return pts.back().seconds_per_path * std::pow(pts.back().error / target, 1 / order);
}

/// Runs every supporting scheme on one problem class and appends the curves.
template <class P, class X, class Reference>
void run_class(const char* class_name, const P& problem, const X& start, std::size_t processes, int reference_level,
               Reference reference, const Settings& settings, std::vector<Curve>& curves) {
  std::printf("%s\n", class_name);
  std::apply(
      [&](const auto&... scheme) {
        auto one = [&](const auto& sc) {
          using S = std::remove_cvref_t<decltype(sc.stepper)>;
          if constexpr (sdekit::Stepper<S, P, X>) {
            curves.push_back(measure(class_name, sc.name, sc.stepper, problem, start, processes, reference_level,
                                     reference, settings));
            std::printf("  %-16s", sc.name);
            for (const Point& pt : curves.back().points) std::printf(" %.1e", pt.error);
            std::printf("   (errors, dt = 2^-%d ... 2^-%d)\n", first_level, last_level);
          }
        };
        (one(scheme), ...);
      },
      schemes);
}

// ---- The problem classes ----

// Scalar: the cubic problem dX = −¼X(1 − X²) dt + ½(1 − X²) dW, X = tanh(W/2 + artanh X0) (Kloeden & Platen 1992).
double cubic_exact(double x0, double w) {
  const double e = std::exp(w);
  return ((1 + x0) * e + x0 - 1) / ((1 + x0) * e + 1 - x0);
}
// Diagonal: two cubic components, each driven by its own Wiener process.
// Additive: a coupled nonlinear drift with 2 × 3 additive noise; its reference is SRA1 on the same path at a dt 8
// times smaller than the smallest compared (its error there, about 1e-7, is far below the errors compared).
Vec2 coupled_drift(const Vec2& x, double) {
  return Vec2(-2 * std::sin(x[0]) + 0.5 * x[1], -std::sin(x[1]) - 0.5 * x[0]);
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--paths")) settings.paths = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--particles")) settings.particles = std::strtoul(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: work_precision [--paths N] [--particles N]\n");
      return 2;
    }
  }
  if (settings.paths < 1 || settings.particles < 1) {
    std::fprintf(stderr, "work_precision: --paths and --particles must be positive\n");
    return 2;
  }
  std::printf(
      "Work-precision at T = 1: strong error over %d shared Brownian paths, time per path from %zu particles\n\n",
      settings.paths, settings.particles);
  std::vector<Curve> curves;

  const double x0 = 0.5;
  const auto cubic = sdekit::make_sde([](double x, double) { return -0.25 * x * (1 - x * x); },
                                      [](double x, double) { return 0.5 * (1 - x * x); });
  run_class(
      "scalar (cubic)", cubic, x0, 1, last_level, [&](const Path& p) { return cubic_exact(x0, p.value(1.0)); },
      settings, curves);

  const Vec2 start(0.5, -0.3);
  const auto diagonal_cubic = sdekit::make_sde(
      [](const Vec2& x, double) -> Vec2 { return (-0.25 * x.array() * (1 - x.array().square())).matrix(); },
      [](const Vec2& x, double) -> Vec2 { return (0.5 * (1 - x.array().square())).matrix(); });
  run_class(
      "diagonal (2-D cubic)", diagonal_cubic, start, 2, last_level,
      [&](const Path& p) {
        return Vec2(cubic_exact(start[0], p.value(1.0, 0)), cubic_exact(start[1], p.value(1.0, 1)));
      },
      settings, curves);

  Eigen::Matrix<double, 2, 3> G;
  G << 1.0, 0.5, 0.0, 0.0, 0.7, 0.9;
  const auto additive = sdekit::make_sde(
      coupled_drift, [G](const Vec2&, double) { return G; }, sdekit::additive);
  const Vec2 additive_start(1.0, -0.5);
  run_class(
      "additive (2-D with 2x3 noise)", additive, additive_start, 3, last_level + 3,
      [&](const Path& p) {
        Vec2 x = additive_start;
        sdekit::Sra1 reference;
        sdekit::integrate(reference, additive, x, 0.0, 1.0, p.fine_dt(), p);
        return x;
      },
      settings, curves);

  // Time to reach target errors, and speedups against the fastest low-order scheme.
  std::printf("\nmicroseconds per path to reach the target error (* = extrapolated past dt = 2^-%d)\n", last_level);
  const std::vector<double> targets = {1e-3, 1e-4};
  std::printf("%-30s %-16s", "class", "scheme");
  for (double target : targets) std::printf(" %14.0e", target);
  std::printf("\n");
  for (const Curve& c : curves) {
    std::printf("%-30s %-16s", c.problem_class.c_str(), c.scheme.c_str());
    for (double target : targets) {
      bool extrapolated;
      const double t = time_at_error(c, target, extrapolated);
      if (t < 0) std::printf(" %14s", "not reached");
      else std::printf(" %13.1f%s", t * 1e6, extrapolated ? "*" : " ");
    }
    std::printf("\n");
  }
  auto time_of = [&](const char* cls, const char* scheme, double target, bool& extrapolated) {
    for (const Curve& c : curves)
      if (c.problem_class == cls && c.scheme == scheme) return time_at_error(c, target, extrapolated);
    return -1.0;
  };
  bool ex_sriw1, ex_milstein, ex_em;
  const double sriw1 = time_of("scalar (cubic)", "SRIW1", 1e-4, ex_sriw1);
  const double milstein = time_of("scalar (cubic)", "Milstein", 1e-4, ex_milstein);
  const double em = time_of("scalar (cubic)", "Euler-Maruyama", 1e-4, ex_em);
  std::printf(
      "\ncubic problem, error 1e-4: SRIW1 is %.1fx faster than Milstein%s and %.0fx faster than "
      "Euler-Maruyama%s\n",
      milstein / sriw1, ex_milstein ? " (Milstein extrapolated)" : "", em / sriw1,
      ex_em ? " (Euler-Maruyama extrapolated)" : "");

  const std::string csv = "work_precision.csv";
  {
    std::ofstream out(csv);
    out << "class,scheme,dt,error,seconds_per_path,measured_seconds_per_path\n";
    for (const Curve& c : curves)
      for (const Point& p : c.points)
        out << c.problem_class << ',' << c.scheme << ',' << p.dt << ',' << p.error << ',' << p.seconds_per_path << ','
            << p.measured_seconds_per_path << '\n';
  }
  std::printf("wrote %s\n", csv.c_str());

  const std::string script = "work_precision.gp";
  {
    std::ofstream gp(script);
    gp << "set terminal pngcairo size 1500,480 noenhanced\nset output 'work_precision.png'\n"
          "set datafile separator ','\nset logscale xy\nset format x '1e%L'\nset format y '1e%L'\n"
          "set xlabel 'seconds per path'\nset ylabel 'strong error at T = 1'\nset key bottom left\n"
          "set multiplot layout 1,3\n";
    std::string current;
    for (std::size_t i = 0; i < curves.size(); ++i) {
      const Curve& c = curves[i];
      if (c.problem_class != current) {
        if (!current.empty()) gp << "\n";
        current = c.problem_class;
        gp << "set title '" << current << "'\nplot ";
      } else {
        gp << ", \\\n     ";
      }
      gp << "'" << csv << "' using ((strcol(1) eq '" << c.problem_class << "' && strcol(2) eq '" << c.scheme
         << "') ? $5 : NaN):4 with linespoints lw 2 title '" << c.scheme << "'";
    }
    gp << "\nunset multiplot\n";
  }
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
    if (std::system(("gnuplot " + script).c_str()) == 0) std::printf("wrote work_precision.png\n");
    else std::printf("gnuplot failed; the script is %s\n", script.c_str());
  } else {
    std::printf("gnuplot not found: skipped the picture (script left in %s)\n", script.c_str());
  }
  return 0;
}
