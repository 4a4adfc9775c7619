# Builds and runs both kinds of consumer against this checkout, each with a rule of its own
# (rule_consumer.cpp) besides the library's, and a training loop of its own with descent's
# hooks (hooks_loop.cpp, shown whole in docs/hooks.md):
#   1. cmake --install into a fresh prefix, then find_package(descent CONFIG REQUIRED COMPONENTS lab),
#      linking descent::descent and descent::lab (and descent::mpi, run as one MPI process, where MPI is found),
#      and run the installed bin/descent;
#   2. add_subdirectory(descent).
# Inputs: -DSOURCE_DIR=<repo> -DBINARY_DIR=<descent's build dir> -DWORK_DIR=<scratch>
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

set(consumers ${SOURCE_DIR}/tests/consumers)
run(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${WORK_DIR}/prefix)
# The command-line tool is installed too, as <prefix>/bin/descent.
run(${WORK_DIR}/prefix/bin/descent --version)
run(${CMAKE_COMMAND} -S ${consumers}/find-package -B ${WORK_DIR}/find-package
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/find-package)
run(${WORK_DIR}/find-package/consumer)
run(${WORK_DIR}/find-package/lab_consumer)
run(${WORK_DIR}/find-package/hooks_loop)
run(${WORK_DIR}/find-package/rule_consumer)
if(EXISTS ${WORK_DIR}/find-package/mpi_consumer)
  run(${WORK_DIR}/find-package/mpi_consumer)
endif()

run(${CMAKE_COMMAND} -S ${consumers}/add-subdirectory -B ${WORK_DIR}/add-subdirectory
    -DDESCENT_SOURCE_DIR=${SOURCE_DIR} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/add-subdirectory -j 2)
run(${WORK_DIR}/add-subdirectory/consumer)
run(${WORK_DIR}/add-subdirectory/rule_consumer)
