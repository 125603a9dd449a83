file(GLOB_RECURSE FILES
  ${ROOT}/daemon/*.cpp ${ROOT}/daemon/*.h ${ROOT}/pipelines/*.cpp ${ROOT}/pipelines/*.h
  ${ROOT}/tests/*.cpp ${ROOT}/tests/*.h)
execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror ${FILES} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "clang-format: files above need formatting (run `make format`)")
endif()
