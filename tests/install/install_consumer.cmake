# Run by CTest as `cmake -P`: installs the qkv build QKV_BUILD_DIR into
# WORK_DIR/prefix, builds the consumer in CONSUMER_SOURCE_DIR against that
# prefix with find_package(qkv), runs it, and runs the installed qkv command.

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc COMMAND_ECHO STDOUT)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()

run("${CMAKE_COMMAND}" --install "${QKV_BUILD_DIR}" --prefix "${prefix}" ${config_args})

set(configure_args -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_PREFIX_PATH=${prefix}")
if(CONFIG)
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${CONFIG}")
endif()
if(CXX_COMPILER_LAUNCHER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_COMPILER_LAUNCHER}")
endif()
run("${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}/build" ${configure_args})
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build" ${config_args})

set(consumer "${WORK_DIR}/build/qkv_consumer")
if(NOT EXISTS "${consumer}")
  set(consumer "${WORK_DIR}/build/${CONFIG}/qkv_consumer")
endif()
run("${consumer}")
# The installed command must find the installed library on its own.
run("${prefix}/bin/qkv" --version)
