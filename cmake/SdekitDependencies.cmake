# Finds sdekit's dependencies; each missing one stops configuration with one line naming its Debian package.
include(GNUInstallDirs)

macro(sdekit_require found package what)
  if(NOT ${found})
    message(FATAL_ERROR "sdekit needs ${what}: install it with `apt-get install ${package}`")
  endif()
endmacro()

find_package(Eigen3 3.4 QUIET NO_MODULE)
sdekit_require(Eigen3_FOUND libeigen3-dev "Eigen 3.4")

find_package(Boost 1.74 QUIET)
sdekit_require(Boost_FOUND libboost-dev "Boost (Odeint)")
if(NOT TARGET Boost::headers)
  add_library(Boost::headers INTERFACE IMPORTED)
  target_include_directories(Boost::headers INTERFACE ${Boost_INCLUDE_DIRS})
endif()

find_package(OpenMP QUIET COMPONENTS CXX)
sdekit_require(OpenMP_CXX_FOUND libgomp1 "OpenMP (GCC's libgomp)")

find_path(RANDOM123_INCLUDE_DIR NAMES Random123/philox.h)
sdekit_require(RANDOM123_INCLUDE_DIR librandom123-dev "Random123")

if(SDEKIT_BUILD_FORECAST)
  find_package(NLopt QUIET)
  sdekit_require(NLopt_FOUND libnlopt-dev "NLopt (model fitting; or configure with -DSDEKIT_BUILD_FORECAST=OFF)")
endif()

# MPI is optional: without it sdekit::mpi is simply not built (one status line says how to get it).
if(SDEKIT_BUILD_MPI)
  find_package(MPI QUIET COMPONENTS CXX)
  if(NOT MPI_CXX_FOUND)
    message(STATUS "sdekit: MPI not found, so sdekit::mpi is not built (apt-get install libopenmpi-dev openmpi-bin)")
  endif()
endif()

# libSBML is optional: without it sdekit::sbml is simply not built (one status line says how to get it).
set(SDEKIT_SBML_FOUND OFF)
if(SDEKIT_BUILD_SBML)
  find_path(SBML_INCLUDE_DIR NAMES sbml/SBMLTypes.h)
  find_library(SBML_LIBRARY NAMES sbml)
  if(SBML_INCLUDE_DIR AND SBML_LIBRARY)
    set(SDEKIT_SBML_FOUND ON)
  else()
    message(STATUS "sdekit: libSBML not found, so sdekit::sbml is not built (apt-get install libsbml5-dev)")
  endif()
endif()

# LibTorch is optional and only the LibTorch example (examples/torch_score_network.cpp) links it: the library never
# does, and <sdekit/diffusion/torch/...> is included only by programs that link LibTorch themselves.
set(SDEKIT_TORCH_FOUND OFF)
if(SDEKIT_BUILD_TORCH AND SDEKIT_BUILD_EXAMPLES)
  find_package(Torch QUIET)
  if(Torch_FOUND OR TORCH_FOUND)
    set(SDEKIT_TORCH_FOUND ON)
  else()
    message(STATUS "sdekit: LibTorch not found, so the torch_score_network example is not built "
                   "(apt-get install libtorch-dev)")
  endif()
endif()
