# Keeps the code blocks of README.md and docs/*.md equal to compiled code (run with `cmake -P`, no Python needed).
#
# In a compiled file, a snippet is delimited Boost.Odeint-style:
#     //[ name
#     ...code...
#     //]
# Several regions with the same name are joined in order, with one blank line between them (e.g. an #include at
# file scope and statements in main); each region loses its own common leading indentation. Marker lines of other
# snippets inside a region are dropped.
#
# In the markdown, the fenced block right after a marker line is that snippet:
#     <!-- snippet: examples/readme_taste.cpp#taste -->
#     ```cpp
#     ...
#     ```
# (the path is relative to the repository root). A ```cpp block without a marker must say why it is not compiled:
#     <!-- not compiled: REASON -->
#
#   cmake -P cmake/snippets.cmake              CHECK (default): fail if any block differs from its source
#   cmake -DUPDATE=ON -P cmake/snippets.cmake  UPDATE: rewrite the blocks from the sources
#
# Numbers quoted in the docs (tables of results) come the same way from what a program wrote: the fenced block
# right after
#     <!-- output: sir_epidemic_table.md -->
# is that file, as the example wrote it into OUTPUT_DIR. With -DOUTPUT_DIR=DIR (the CTest test docs_outputs runs
# the examples into build/doc-outputs first, see cmake/run_examples.cmake) these blocks are checked or updated too;
# without it they are left alone. The files hold only deterministic numbers (fixed seeds; no timings).
#
# -DSDEKIT_SOURCE_DIR=... names the repository root (default: the parent of this file's folder).
cmake_minimum_required(VERSION 3.20)

if(NOT SDEKIT_SOURCE_DIR)
  get_filename_component(SDEKIT_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
endif()
set(fix_command "cmake -DUPDATE=ON -P cmake/snippets.cmake")
if(OUTPUT_DIR)
  set(fix_command "cmake -DUPDATE=ON -DOUTPUT_DIR=${OUTPUT_DIR} -P cmake/snippets.cmake")
endif()

# CMake lists split on ';' and treat '\', '[' and ']' specially: a file becomes a list of lines with these
# characters replaced by control characters, and they are put back when a file is written or a line is printed.
string(ASCII 1 esc_semicolon)
string(ASCII 2 esc_backslash)
string(ASCII 3 esc_open)
string(ASCII 4 esc_close)

function(snippets_read_lines path out_var)
  file(READ "${path}" content)
  string(REPLACE "\r" "" content "${content}")
  string(REPLACE "\\" "${esc_backslash}" content "${content}")
  string(REPLACE ";" "${esc_semicolon}" content "${content}")
  string(REPLACE "[" "${esc_open}" content "${content}")
  string(REPLACE "]" "${esc_close}" content "${content}")
  string(REGEX REPLACE "\n$" "" content "${content}")
  string(REPLACE "\n" ";" content "${content}")
  set(${out_var} "${content}" PARENT_SCOPE)
endfunction()

function(snippets_unescape text out_var)
  string(REPLACE "${esc_backslash}" "\\" text "${text}")
  string(REPLACE "${esc_semicolon}" ";" text "${text}")
  string(REPLACE "${esc_open}" "[" text "${text}")
  string(REPLACE "${esc_close}" "]" text "${text}")
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# Removes the common leading indentation (spaces) of the non-blank lines in the list named by list_var, strips
# trailing blanks and appends the result to the list named by out_var.
function(snippets_dedent_append list_var out_var)
  set(indent 1000000)
  foreach(line IN LISTS ${list_var})
    if(line MATCHES "^( *)[^ \t]")
      string(LENGTH "${CMAKE_MATCH_1}" n)
      if(n LESS indent)
        set(indent ${n})
      endif()
    endif()
  endforeach()
  set(result "${${out_var}}")
  if(NOT result STREQUAL "")
    list(APPEND result "")  # one blank line between regions
  endif()
  foreach(line IN LISTS ${list_var})
    string(REGEX REPLACE "[ \t]+$" "" line "${line}")
    if(line STREQUAL "")
      list(APPEND result "")
    else()
      string(SUBSTRING "${line}" ${indent} -1 line)
      list(APPEND result "${line}")
    endif()
  endforeach()
  set(${out_var} "${result}" PARENT_SCOPE)
endfunction()

# Sets out_var to the lines of the output file `file` in OUTPUT_DIR (trailing blanks stripped), and error_var to a
# message if it is missing.
function(snippets_output file where out_var error_var)
  set(${out_var} "" PARENT_SCOPE)
  set(${error_var} "" PARENT_SCOPE)
  set(path "${OUTPUT_DIR}/${file}")
  if(NOT EXISTS "${path}")
    set(${error_var} "${where}: output file ${path} does not exist: run the examples first (CTest test \
docs_outputs, or cmake -DEXAMPLES_DIR=build/examples -DOUTPUT_DIR=${OUTPUT_DIR} -P cmake/run_examples.cmake)"
        PARENT_SCOPE)
    return()
  endif()
  snippets_read_lines("${path}" lines)
  set(result "")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "[ \t]+$" "" line "${line}")
    list(APPEND result "${line}")
  endforeach()
  set(${out_var} "${result}" PARENT_SCOPE)
endfunction()

# Sets out_var to the lines of snippet `name` in `source` (relative to the root), and error_var to a message if
# the file or the snippet is missing or its markers do not match.
function(snippets_extract source name where out_var error_var)
  set(${out_var} "" PARENT_SCOPE)
  set(${error_var} "" PARENT_SCOPE)
  set(path "${SDEKIT_SOURCE_DIR}/${source}")
  if(NOT EXISTS "${path}")
    set(${error_var} "${where}: snippet file ${source} does not exist" PARENT_SCOPE)
    return()
  endif()
  snippets_read_lines("${path}" lines)
  set(stack "")
  set(collecting OFF)
  set(found OFF)
  set(region "")
  set(result "")
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(line MATCHES "^[ \t]*//${esc_open} ([A-Za-z0-9_.:-]+)[ \t]*$")
      set(open "${CMAKE_MATCH_1}")
      list(APPEND stack "${open}")
      if(open STREQUAL name AND NOT collecting)
        set(collecting ON)
        set(found ON)
        set(region "")
      endif()
    elseif(line MATCHES "^[ \t]*//${esc_close}[ \t]*$")
      list(LENGTH stack depth)
      if(depth EQUAL 0)
        set(${error_var} "${source}:${number}: `//${esc_close}` closes no snippet (needed by ${where})" PARENT_SCOPE)
        return()
      endif()
      list(POP_BACK stack closed)
      if(closed STREQUAL name AND collecting AND NOT name IN_LIST stack)
        set(collecting OFF)
        snippets_dedent_append(region result)
      endif()
    elseif(collecting)
      list(APPEND region "${line}")
    endif()
  endforeach()
  if(collecting)
    set(${error_var} "${source}: snippet '${name}' is not closed by `//${esc_close}` (needed by ${where})" PARENT_SCOPE)
  elseif(NOT found)
    set(${error_var}
        "${where}: snippet '${name}' not found in ${source}: put `//${esc_open} ${name}` and `//${esc_close}` \
around its lines there"
        PARENT_SCOPE)
  else()
    set(${out_var} "${result}" PARENT_SCOPE)
  endif()
endfunction()

set(errors "")
set(checked 0)
file(GLOB doc_files RELATIVE "${SDEKIT_SOURCE_DIR}" "${SDEKIT_SOURCE_DIR}/docs/*.md")
list(SORT doc_files)
foreach(doc IN ITEMS README.md ${doc_files})
  snippets_read_lines("${SDEKIT_SOURCE_DIR}/${doc}" lines)
  set(output "")         # the file's lines after UPDATE
  set(previous "")       # the previous line outside a block
  set(in_block OFF)
  set(replacing OFF)     # inside a marked block: its lines are collected in `block`, not copied
  set(block "")
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(in_block)
      if(line MATCHES "^```[ \t]*$")
        set(in_block OFF)
        if(replacing)
          set(replacing OFF)
          math(EXPR checked "${checked} + 1")
          if(NOT snippet_error STREQUAL "")
            list(APPEND errors "${snippet_error}")
            list(APPEND output "${block}")
          elseif(NOT block STREQUAL snippet)
            list(APPEND output "${snippet}")
            if(NOT UPDATE)
              # Name the first differing line.
              list(LENGTH block n_doc)
              list(LENGTH snippet n_src)
              set(i 0)
              while(i LESS n_doc AND i LESS n_src)
                list(GET block ${i} a)
                list(GET snippet ${i} b)
                if(NOT a STREQUAL b)
                  break()
                endif()
                math(EXPR i "${i} + 1")
              endwhile()
              math(EXPR shown "${i} + 1")
              if(i LESS n_doc AND i LESS n_src)
                set(detail "line ${shown} of the block is\n      ${a}\n    but the source has\n      ${b}")
              else()
                set(detail "the block has ${n_doc} lines, the source ${n_src}")
              endif()
              list(APPEND errors "${block_where}: the block of ${snippet_source}#${snippet_name} differs from \
its source: ${detail}\n    If the source is right, run `${fix_command}` from the repository root and commit the \
docs. Otherwise fix ${snippet_source}.")
            endif()
          else()
            list(APPEND output "${block}")
          endif()
        endif()
        list(APPEND output "${line}")
      elseif(replacing)
        string(REGEX REPLACE "[ \t]+$" "" line "${line}")
        list(APPEND block "${line}")
      else()
        list(APPEND output "${line}")
      endif()
      continue()
    endif()

    list(APPEND output "${line}")
    if(line MATCHES "^```[ \t]*([^ \t]*)")
      set(in_block ON)
      set(language "${CMAKE_MATCH_1}")
      if(previous MATCHES "^<!-- snippet: ([^#]+)#([^ ]+) -->[ \t]*$")
        set(snippet_source "${CMAKE_MATCH_1}")
        set(snippet_name "${CMAKE_MATCH_2}")
        set(block_where "${doc}:${number}")
        set(replacing ON)
        set(block "")
        snippets_extract("${snippet_source}" "${snippet_name}" "${block_where}" snippet snippet_error)
      elseif(previous MATCHES "^<!-- output: ([^ ]+) -->[ \t]*$" AND OUTPUT_DIR)
        set(snippet_source "${OUTPUT_DIR}/${CMAKE_MATCH_1}")
        set(snippet_name "(whole file)")
        set(block_where "${doc}:${number}")
        set(replacing ON)
        set(block "")
        snippets_output("${CMAKE_MATCH_1}" "${block_where}" snippet snippet_error)
      elseif(language MATCHES "^(cpp|c\\+\\+|cxx|C\\+\\+)$" AND NOT previous MATCHES "^<!-- not compiled: [^ ].*-->")
        list(APPEND errors "${doc}:${number}: this ```${language} block is not taken from compiled code. Put its \
code between `//${esc_open} NAME` and `//${esc_close}` in an example (or in examples/snippets/) and precede the \
block with `<!-- snippet: PATH#NAME -->`, or, for a fragment that cannot compile, with \
`<!-- not compiled: REASON -->`.")
      endif()
    elseif(previous MATCHES "^<!-- (snippet|output): ")
      list(APPEND errors "${doc}:${number}: a snippet or output marker must be followed directly by a fenced block")
    endif()
    set(previous "${line}")
  endforeach()
  if(in_block)
    list(APPEND errors "${doc}: a fenced block is not closed")
  endif()
  if(previous MATCHES "^<!-- snippet: ")
    list(APPEND errors "${doc}:${number}: a snippet marker must be followed directly by a fenced block")
  endif()

  if(UPDATE AND NOT output STREQUAL lines)
    string(REPLACE ";" "\n" content "${output}")
    snippets_unescape("${content}" content)
    file(WRITE "${SDEKIT_SOURCE_DIR}/${doc}" "${content}\n")
    message(STATUS "snippets: updated ${doc}")
  endif()
endforeach()

list(LENGTH errors n_errors)
if(n_errors GREATER 0)
  string(REPLACE ";" "\n  " text "${errors}")
  snippets_unescape("${text}" text)
  message(FATAL_ERROR "snippets: ${n_errors} problem(s) in the documentation's code blocks:\n  ${text}\n")
endif()
message(STATUS "snippets: ${checked} block(s) equal to their sources")
