# Runs, with their default arguments, the examples whose output files the docs quote (`<!-- output: FILE -->`, see
# cmake/snippets.cmake), in OUTPUT_DIR. Used by the CTest fixture examples_run before docs_outputs.
#   cmake -DEXAMPLES_DIR=build/examples -DOUTPUT_DIR=build/doc-outputs -P cmake/run_examples.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT EXAMPLES_DIR OR NOT OUTPUT_DIR)
  message(FATAL_ERROR "run_examples: give -DEXAMPLES_DIR=... and -DOUTPUT_DIR=...")
endif()
# Relative paths are taken from where the script is run, not from OUTPUT_DIR where the examples run.
get_filename_component(EXAMPLES_DIR "${EXAMPLES_DIR}" ABSOLUTE)
get_filename_component(OUTPUT_DIR "${OUTPUT_DIR}" ABSOLUTE)
file(MAKE_DIRECTORY "${OUTPUT_DIR}")
set(examples sir_epidemic diffusion_quality diffusion_fast_samplers quickstart forecast_nile forecast_state_space
    stochastic_heat adaptive_work_precision)
foreach(example IN LISTS examples)
  set(program "${EXAMPLES_DIR}/${example}")
  if(NOT EXISTS "${program}")
    if(example MATCHES "^forecast_")
      continue()  # built only with the forecast component
    endif()
    message(FATAL_ERROR "run_examples: ${program} does not exist: build the examples first")
  endif()
  execute_process(COMMAND "${program}" WORKING_DIRECTORY "${OUTPUT_DIR}" RESULT_VARIABLE status
                  OUTPUT_FILE "${OUTPUT_DIR}/${example}.log" ERROR_FILE "${OUTPUT_DIR}/${example}.err")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "run_examples: ${example} failed (${status}); see ${OUTPUT_DIR}/${example}.err")
  endif()
  message(STATUS "run_examples: ran ${example}")
endforeach()
