# A truncated last.safetensors is refused with a message naming it, and
# model.safetensors (the best epoch) still translates.
file(SIZE ${MODEL}/last.safetensors size)
math(EXPR half "${size} / 2")
execute_process(COMMAND truncate -s ${half} ${MODEL}/last.safetensors RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "could not truncate the checkpoint")
endif()
execute_process(COMMAND ${QKV} train --config ${CONFIG} --out ${MODEL} --resume
  ERROR_VARIABLE err RESULT_VARIABLE rc)
if(rc EQUAL 0 OR NOT err MATCHES "qkv: error: [^\n]*last.safetensors")
  message(FATAL_ERROR "resume from a truncated checkpoint: rc ${rc}, stderr: ${err}")
endif()
execute_process(COMMAND ${QKV} translate --model ${MODEL} INPUT_FILE ${CMAKE_CURRENT_LIST_FILE}
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the best model no longer loads (${rc})")
endif()
message(STATUS "truncated checkpoint refused: ${err}")
