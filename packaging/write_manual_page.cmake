# Writes OUTPUT (bnrun.1) from `BNRUN --help-man`, and OUTPUT.gz beside it (gzip -n: no name or time stamp, so the
# same program gives the same bytes).
execute_process(COMMAND ${BNRUN} --help-man OUTPUT_FILE ${OUTPUT} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${BNRUN} --help-man failed: ${status}")
endif()
execute_process(COMMAND gzip -9 -n -c ${OUTPUT} OUTPUT_FILE ${OUTPUT}.gz RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "gzip ${OUTPUT} failed: ${status}")
endif()
