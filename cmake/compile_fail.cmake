# A compile-fail test: compiles SOURCE with -fsyntax-only, using the command CMake wrote for it into
# compile_commands.json (DATABASE), and prints the compiler's messages; the test's PASS_REGULAR_EXPRESSION then
# requires the expected static_assert message. Syntax-only compiles of different sources are independent, so these
# tests run in parallel (a `cmake --build` per test could not: two builds of one tree race).
#   cmake -DDATABASE=build/compile_commands.json -DSOURCE=/abs/path/file.cpp -P cmake/compile_fail.cmake
file(READ "${DATABASE}" entries)
string(JSON count LENGTH "${entries}")
math(EXPR last "${count} - 1")
set(command "")
foreach(i RANGE ${last})
  string(JSON file GET "${entries}" ${i} file)
  if(file STREQUAL SOURCE)
    string(JSON command GET "${entries}" ${i} command)
    string(JSON directory GET "${entries}" ${i} directory)
    break()
  endif()
endforeach()
if(command STREQUAL "")
  message(FATAL_ERROR "compile_fail.cmake: ${SOURCE} is not in ${DATABASE}")
endif()
separate_arguments(arguments UNIX_COMMAND "${command}")
# Drop the object file and the compile-only flag; check the source's syntax and instantiations only.
list(FIND arguments "-o" output_at)
if(output_at GREATER -1)
  list(REMOVE_AT arguments ${output_at})
  list(REMOVE_AT arguments ${output_at})
endif()
list(REMOVE_ITEM arguments "-c")
execute_process(COMMAND ${arguments} -fsyntax-only WORKING_DIRECTORY "${directory}" RESULT_VARIABLE status
                OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(status EQUAL 0)
  message("compile_fail.cmake: ${SOURCE} compiled, but it must not")
endif()
