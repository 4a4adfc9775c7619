include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# descent::kernel_flags: the compile options a file that instantiates the driver for its own
# rule needs (src/CMakeLists.txt).
install(TARGETS descent descent_kernel_flags EXPORT descentTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/descent DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT descentTargets NAMESPACE descent:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/descent)
# The training lab (descent::lab) in an export set of its own: the config loads it only where
# Eigen is found, so descent::descent never needs Eigen (find_package(descent COMPONENTS lab)
# requires it).
if(TARGET descent_lab)
  install(TARGETS descent_lab EXPORT descentLabTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT descentLabTargets NAMESPACE descent:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/descent)
endif()
# descent::mpi likewise, loaded only where MPI is found (find_package(descent COMPONENTS mpi)).
if(TARGET descent_mpi)
  install(TARGETS descent_mpi EXPORT descentMpiTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT descentMpiTargets NAMESPACE descent:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/descent)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/descentConfig.cmake.in
  ${PROJECT_BINARY_DIR}/descentConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/descent)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/descentConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/descentConfig.cmake ${PROJECT_BINARY_DIR}/descentConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/descent)
