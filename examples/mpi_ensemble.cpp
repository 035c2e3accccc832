// A stochastic SIR outbreak (the network of sir_epidemic.cpp, exact SSA) run as one ensemble across MPI processes,
// OpenMP threads inside each. The cost of a run is very uneven (an outbreak that dies out early takes a few events,
// a major one thousands), which is what the dynamic segment hand-out is for. Results are bitwise those of one
// process; --check runs the single-process ensemble on every process too and compares.
//
//   mpirun -np 4 ./mpi_ensemble                          (add --oversubscribe beyond the cores, --allow-run-as-root as
//   root) mpirun -np 64 --map-by ppr:1:node --bind-to none -x OMP_NUM_THREADS=32 ./mpi_ensemble --particles 100000000
//
// Options: --particles N (default 10000), --threads T (per process; 0 = OMP_NUM_THREADS), --collect root|local,
// --balance dynamic|static, --model sir|sde (sde: a uniform-cost 3-D SDE, for scaling), --check.
// Prints the run's cost and the outbreak statistics (quantiles by distributed selection, no particle gathered);
// rank 0 writes mpi_ensemble_bands.csv and, with gnuplot, mpi_ensemble_bands.png.
#include <sdekit/sdekit.hpp>
//[ mpi_include
#include <sdekit/mpi.hpp>
//]

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr double population = 1000;
constexpr double beta = 0.15;   // infections per infective per day
constexpr double gamma_ = 0.1;  // recoveries per infective per day
constexpr double days = 300;

struct Arguments {
  std::size_t particles = 10000;
  int threads = 0;
  sdekit::Collect collect = sdekit::Collect::local;
  sdekit::mpi::Balance balance = sdekit::mpi::Balance::dynamic_segments;
  bool sde = false;
  bool check = false;
};

Arguments parse(int argc, char** argv) {
  Arguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--particles" && has_value) a.particles = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--threads" && has_value) a.threads = std::atoi(argv[++i]);
    else if (arg == "--collect" && has_value) {
      const std::string v = argv[++i];
      a.collect = v == "root" ? sdekit::Collect::root : v == "all" ? sdekit::Collect::all : sdekit::Collect::local;
    } else if (arg == "--balance" && has_value) {
      a.balance = std::string(argv[++i]) == "static" ? sdekit::mpi::Balance::static_segments
                                                     : sdekit::mpi::Balance::dynamic_segments;
    } else if (arg == "--model" && has_value) a.sde = std::string(argv[++i]) == "sde";
    else if (arg == "--check") a.check = true;
    else {
      std::fprintf(stderr, "mpi_ensemble: unknown argument '%s' (see the comment at the top of the source)\n",
                   arg.c_str());
      std::exit(2);
    }
  }
  return a;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }
bool same_bits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.size()) * sizeof(double)) == 0;
}

// Statistics and failures bit for bit (values are compared where this process holds them).
template <class X>
bool same_result(const sdekit::EnsembleResult<X>& a, const sdekit::EnsembleResult<X>& b) {
  bool same = a.statistics.size() == b.statistics.size() && a.failures.size() == b.failures.size();
  for (std::size_t s = 0; same && s < a.statistics.size(); ++s)
    same = a.statistics[s].alive == b.statistics[s].alive && same_bits(a.statistics[s].mean, b.statistics[s].mean) &&
           same_bits(a.statistics[s].covariance, b.statistics[s].covariance) &&
           same_bits(a.statistics[s].min, b.statistics[s].min) && same_bits(a.statistics[s].max, b.statistics[s].max);
  for (std::size_t i = 0; same && i < a.failures.size(); ++i) same = a.failures[i].index == b.failures[i].index;
  if (same && a.holds_all_values())
    for (std::size_t s = 0; same && s < a.values.size(); ++s) same = same_bits(a.values[s], b.values[s]);
  return same;
}

bool have_gnuplot() { return std::system("command -v gnuplot > /dev/null 2>&1") == 0; }

// The run's cost and what it sent: timing between barriers, so it is the slowest process's.
template <class Run>
auto timed(Run&& run, double& seconds) {
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  auto result = run();
  MPI_Barrier(MPI_COMM_WORLD);
  seconds = MPI_Wtime() - start;
  return result;
}

template <class X>
void report(const sdekit::EnsembleResult<X>& result, const sdekit::mpi::Cluster& cluster, const Arguments& a,
            double seconds, std::uint64_t bytes_sent, int rank) {
  const std::size_t n = result.particles;
  const int processes = cluster.processes();
  const std::size_t segment = cluster.segment_size(n, sdekit::moment_chunk);
  const std::size_t segments = (n + segment - 1) / segment;
  // The communication model: per save time, each process sends one statistics node per segment it ran (plus its
  // failures and, when the columns are collected, its particles' columns). Measured here as the bytes this run added
  // to Cluster::bytes_sent, the largest over the processes.
  const std::size_t node_bytes = sdekit::Moments::packed_size(result.dimension) * sizeof(double);
  std::uint64_t most = 0;
  MPI_Allreduce(&bytes_sent, &most, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  if (rank != 0) return;
  std::printf("%d process(es) x %d thread(s), %zu particles in %zu segments of %zu (%s hand-out)\n", processes,
              a.threads > 0 ? a.threads : omp_get_max_threads(), n, segments, segment,
              a.balance == sdekit::mpi::Balance::dynamic_segments ? "dynamic" : "static");
  std::printf("wall time %.3f s, %.3g particles/s\n", seconds, static_cast<double>(n) / seconds);
  std::printf(
      "sent by the busiest process: %.0f B per save time (statistics nodes of %zu B, %.1f segments per "
      "process%s)\n",
      static_cast<double>(most) / static_cast<double>(result.save_times.size()), node_bytes,
      static_cast<double>(segments) / processes,
      a.collect == sdekit::Collect::local ? ", no columns: Collect::local" : ", with its columns");
  std::printf("failed particles: %zu\n", result.failures.size());
}

}  // namespace

int main(int argc, char** argv) {
  //[ mpi_session
  sdekit::mpi::Session session(&argc, &argv);  // MPI_Init_thread(FUNNELED) … MPI_Finalize
  //]
  const Arguments args = parse(argc, argv);
  const int rank = session.rank();

  //[ mpi_cluster
  sdekit::mpi::ClusterOptions cluster_options;
  cluster_options.collect = args.collect;  // Collect::local: each process keeps its own particles' columns
  cluster_options.balance = args.balance;  // dynamic: a free process takes the next segment
  const auto cluster = sdekit::mpi::make_cluster(MPI_COMM_WORLD, cluster_options);

  sdekit::EnsembleOptions options;
  options.particles = args.particles;
  options.seed = 2024;
  options.threads = args.threads;  // OpenMP threads inside each process
  options.distribution = cluster;  // the only change from a single-process run
  //]
  options.t1 = days;
  options.dt = 5;
  if (rank == 0) options.progress = sdekit::ProgressBar("mpi_ensemble", 2.0);

  if (args.sde) {
    // A uniform-cost workload for the scaling measurement: a stochastic Lorenz system, 200 Euler–Maruyama steps.
    auto lorenz = sdekit::make_sde(
        [](const Eigen::Vector3d& x, double) -> Eigen::Vector3d {
          return {10.0 * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1], x[0] * x[1] - 8.0 / 3.0 * x[2]};
        },
        [](const Eigen::Vector3d& x, double) -> Eigen::Vector3d { return 0.1 * x; });
    options.t1 = 2.0;
    options.dt = 0.01;
    options.save_times = {1.0, 2.0};
    const Eigen::Vector3d x0(1.0, 1.0, 1.0);
    double seconds = 0;
    const std::uint64_t sent_before = cluster->bytes_sent();
    const auto result =
        timed([&] { return sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, lorenz, x0, options); }, seconds);
    report(result, *cluster, args, seconds, cluster->bytes_sent() - sent_before, rank);
    const auto q = sdekit::mpi::quantiles(MPI_COMM_WORLD, result, 1, 2, std::vector<double>{0.05, 0.5, 0.95});
    if (rank == 0)
      std::printf("z at t = 2: mean %.6f, quantiles 5%% %.6f, 50%% %.6f, 95%% %.6f\n", result.statistics[1].mean[2],
                  q[0], q[1], q[2]);
    if (args.check) {
      sdekit::EnsembleOptions plain = options;
      plain.distribution = nullptr;
      plain.progress = nullptr;
      const bool same = same_result(result, sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, lorenz, x0, plain));
      const bool all_same = cluster->sum(same ? 0 : 1) == 0;
      if (rank == 0)
        std::printf("bitwise equal to the single-process run on every process: %s\n", all_same ? "yes" : "NO");
      return all_same ? 0 : 1;
    }
    return 0;
  }

  const auto sir = sdekit::make_reaction_network(
      {"S", "I", "R"}, {990.0, 10.0, 0.0},
      sdekit::reaction("infection", "S + I -> 2 I", sdekit::mass_action(beta / population)),
      sdekit::reaction("recovery", "I -> R", sdekit::mass_action(gamma_)));
  for (int d = 0; d <= static_cast<int>(days); d += 5) options.save_times.push_back(d);
  // The SSA takes JumpOptions: the same run options, with dt = 5 days read as the observation spacing.
  const sdekit::JumpOptions jump = sdekit::jump_options(options);
  double seconds = 0;
  const std::uint64_t sent_before = cluster->bytes_sent();
  //[ mpi_run
  const auto result = timed([&] { return sdekit::simulate_ssa(sir, jump); }, seconds);  // on every process
  // Exact quantiles of the final size R(300 days) by distributed selection: no process gathers every particle.
  const std::size_t last = result.save_times.size() - 1;
  const std::vector<double> levels{0.05, 0.25, 0.5, 0.75, 0.95};
  const std::vector<double> final_size = sdekit::mpi::quantiles(MPI_COMM_WORLD, result, last, 2, levels);
  //]
  report(result, *cluster, args, seconds, cluster->bytes_sent() - sent_before, rank);
  const sdekit::Histogram h = sdekit::mpi::histogram(MPI_COMM_WORLD, result, last, 2, 20, 0, population);
  if (rank == 0) {
    std::printf(
        "final size R(%g days): mean %.2f, sd %.2f; quantiles 5%% %.0f, 25%% %.0f, 50%% %.0f, 75%% %.0f, "
        "95%% %.0f\n",
        days, result.statistics[last].mean[2], std::sqrt(result.statistics[last].variance[2]), final_size[0],
        final_size[1], final_size[2], final_size[3], final_size[4]);
    std::printf("early extinction (fewer than 50 ever infected): %.2f%%\n",
                100.0 * static_cast<double>(h.counts[0]) / static_cast<double>(h.total()));
  }

  // Quantile bands of I per save time, by distributed selection.
  std::vector<std::vector<double>> bands;
  for (std::size_t s = 0; s < result.save_times.size(); ++s)
    bands.push_back(sdekit::mpi::quantiles(MPI_COMM_WORLD, result, s, 1, levels));

  int status = 0;
  if (args.check) {
    sdekit::JumpOptions plain = jump;
    plain.distribution = nullptr;
    plain.progress = nullptr;
    const auto single = sdekit::simulate_ssa(sir, plain);
    bool same = same_result(result, single);
    for (std::size_t k = 0; k < levels.size(); ++k)
      same = same && same_bits(final_size[k], single.quantile(last, 2, levels[k]));
    const bool all_same = cluster->sum(same ? 0 : 1) == 0;
    if (rank == 0)
      std::printf("bitwise equal to the single-process run on every process: %s\n", all_same ? "yes" : "NO");
    status = all_same ? 0 : 1;
  }
  if (rank != 0) return status;

  const std::string csv = "mpi_ensemble_bands.csv";
  {
    std::ofstream out(csv);
    out << "day,I_q05,I_q25,I_q50,I_q75,I_q95,I_mean\n";
    for (std::size_t s = 0; s < result.save_times.size(); ++s) {
      out << result.save_times[s];
      for (double v : bands[s]) out << ',' << v;
      out << ',' << result.statistics[s].mean[1] << '\n';
    }
  }
  std::printf("wrote %s (day, quantiles of I, mean of I)\n", csv.c_str());
  if (!have_gnuplot()) {
    std::printf("gnuplot not found: skipping the picture (install gnuplot-nox)\n");
    return status;
  }
  const std::string script = "mpi_ensemble_bands.gp";
  {
    std::ofstream gp(script);
    gp << "set terminal pngcairo size 900,500 noenhanced\n"
          "set output 'mpi_ensemble_bands.png'\n"
          "set datafile separator ','\n"
          "set title 'Stochastic SIR (exact SSA), "
       << result.particles << " runs on " << cluster->processes()
       << " process(es): infected I(t), median and 5-25-75-95% bands'\n"
          "set xlabel 'day'\nset ylabel 'I'\nset yrange [0:*]\n"
          "plot '"
       << csv
       << "' using 1:2:6 with filledcurves lc rgb '#c6dbef' title '5-95%', "
          "'' using 1:3:5 with filledcurves lc rgb '#6baed6' title '25-75%', "
          "'' using 1:4 with lines lw 2 lc rgb '#08306b' title 'median', "
          "'' using 1:7 with lines lw 2 dt 2 lc rgb '#a50f15' title 'mean'\n";
  }
  if (std::system(("gnuplot " + script).c_str()) == 0)
    std::printf("wrote mpi_ensemble_bands.png (script %s)\n", script.c_str());
  else std::printf("gnuplot failed on %s: no picture\n", script.c_str());
  return status;
}
