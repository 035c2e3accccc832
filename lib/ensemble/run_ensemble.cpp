// The ensemble machinery behind every run_range (storage modes, statistics-only leaves, exact-quantile passes,
// distributed segments), instantiated once here for the common state types; include/sdekit/detail/statistics_run.hpp
// declares these instances extern, so a file that runs an ensemble of these types does not compile them again.
#include <sdekit/detail/statistics_run.hpp>

#include <Eigen/Core>

namespace sdekit::detail {

template EnsembleResult<double> run_ensemble_erased<double>(const EnsembleOptions&, const TimeGrid&, std::size_t,
                                                            const RunRangeRef<double>&, const char*);
template EnsembleResult<Eigen::Vector2d> run_ensemble_erased<Eigen::Vector2d>(const EnsembleOptions&, const TimeGrid&,
                                                                              std::size_t,
                                                                              const RunRangeRef<Eigen::Vector2d>&,
                                                                              const char*);
template EnsembleResult<Eigen::Vector3d> run_ensemble_erased<Eigen::Vector3d>(const EnsembleOptions&, const TimeGrid&,
                                                                              std::size_t,
                                                                              const RunRangeRef<Eigen::Vector3d>&,
                                                                              const char*);
template EnsembleResult<Eigen::VectorXd> run_ensemble_erased<Eigen::VectorXd>(const EnsembleOptions&, const TimeGrid&,
                                                                              std::size_t,
                                                                              const RunRangeRef<Eigen::VectorXd>&,
                                                                              const char*);

}  // namespace sdekit::detail
