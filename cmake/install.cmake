include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# descent::kernel_flags: the compile options a file that instantiates the driver for its own
# rule needs (src/CMakeLists.txt).
install(TARGETS descent descent_kernel_flags EXPORT descentTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/descent DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT descentTargets NAMESPACE descent:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/descent)
# A component in an export set of its own, which the config loads only where the component's
# dependency is found: descent::lab needs Eigen (find_package(descent COMPONENTS lab)),
# descent::mpi needs MPI (COMPONENTS mpi); descent::descent needs neither.
function(descent_install_component target set)
  if(TARGET ${target})
    install(TARGETS ${target} EXPORT ${set}
      ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
      LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
    install(EXPORT ${set} NAMESPACE descent:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/descent)
  endif()
endfunction()
descent_install_component(descent_lab descentLabTargets)
descent_install_component(descent_mpi descentMpiTargets)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/descentConfig.cmake.in
  ${PROJECT_BINARY_DIR}/descentConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/descent)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/descentConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/descentConfig.cmake ${PROJECT_BINARY_DIR}/descentConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/descent)
