# qkv translate reads stdin, writes one line per input line, and with --output
# writes the file atomically.
set(IN ${CMAKE_CURRENT_BINARY_DIR}/translate-in.txt)
file(WRITE ${IN} "Ein Mann fährt Fahrrad.\nZwei Hunde spielen im Schnee.\nEine Frau.\n")
execute_process(COMMAND ${QKV} translate --model ${MODEL} --input ${IN}
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "translate failed (${rc})")
endif()
string(REGEX MATCHALL "\n" newlines "${out}")
list(LENGTH newlines n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "expected 3 lines of output, got ${n}:\n${out}")
endif()
execute_process(COMMAND ${QKV} translate --model ${MODEL} --beam 3 --input ${IN}
  --output ${CMAKE_CURRENT_BINARY_DIR}/translate-out.txt RESULT_VARIABLE rc)
file(STRINGS ${CMAKE_CURRENT_BINARY_DIR}/translate-out.txt lines)
list(LENGTH lines n)
if(NOT rc EQUAL 0 OR NOT n EQUAL 3)
  message(FATAL_ERROR "translate --beam 3 --output: rc ${rc}, ${n} lines")
endif()
