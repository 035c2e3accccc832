include(CMakePackageConfigHelpers)

set(sdekit_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/sdekit)
install(TARGETS sdekit EXPORT sdekitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT sdekitTargets NAMESPACE sdekit:: DESTINATION ${sdekit_cmake_dir})
# Each component has its own export set, so find_package(sdekit COMPONENTS forecast) can tell it is there.
if(TARGET sdekit_forecast)
  install(TARGETS sdekit_forecast EXPORT sdekitForecastTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT sdekitForecastTargets NAMESPACE sdekit:: DESTINATION ${sdekit_cmake_dir})
endif()
if(TARGET sdekit_mpi)
  install(TARGETS sdekit_mpi EXPORT sdekitMpiTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT sdekitMpiTargets NAMESPACE sdekit:: DESTINATION ${sdekit_cmake_dir})
endif()
if(TARGET sdekit_sbml)
  install(TARGETS sdekit_sbml EXPORT sdekitSbmlTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT sdekitSbmlTargets NAMESPACE sdekit:: DESTINATION ${sdekit_cmake_dir})
endif()

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/sdekit" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/solvers/" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sdekit/solvers
  FILES_MATCHING PATTERN "*.hpp")
install(FILES "${sdekit_build_include}/sdekit/version.hpp" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sdekit)

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/sdekitConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/sdekitConfig.cmake" INSTALL_DESTINATION ${sdekit_cmake_dir})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/sdekitConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/sdekitConfig.cmake" "${PROJECT_BINARY_DIR}/sdekitConfigVersion.cmake"
  DESTINATION ${sdekit_cmake_dir})
