# Included from gateway/CMakeLists.txt (so the rule lives in the directory
# that defines smscoach_gateway): compiles the operator console's static files
# into the library. embed_files.cmake turns each into a byte array in a
# generated .cpp; the DEPENDS make an edit to any of them regenerate it.
set(SMSCOACH_CONSOLE_FILES index.html console.css console.js)
set(_console_dir "${CMAKE_CURRENT_LIST_DIR}")
set(_console_generated "${CMAKE_CURRENT_BINARY_DIR}/console_files.cpp")
list(TRANSFORM SMSCOACH_CONSOLE_FILES PREPEND "${_console_dir}/" OUTPUT_VARIABLE _console_inputs)
string(REPLACE ";" "," _console_names "${SMSCOACH_CONSOLE_FILES}")
add_custom_command(
  OUTPUT "${_console_generated}"
  COMMAND "${CMAKE_COMMAND}"
          "-DSOURCE_DIR=${_console_dir}"
          "-DNAMES=${_console_names}"
          "-DOUTPUT=${_console_generated}"
          -P "${_console_dir}/embed_files.cmake"
  DEPENDS ${_console_inputs} "${_console_dir}/embed_files.cmake"
  COMMENT "Embedding the operator console (${SMSCOACH_CONSOLE_FILES})"
  VERBATIM)
target_sources(smscoach_gateway PRIVATE
  "${_console_generated}"
  "${_console_dir}/console_files.hpp")
