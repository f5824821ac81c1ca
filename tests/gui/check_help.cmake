# SPDX-License-Identifier: Apache-2.0
# percept --help exits 0 and documents every option; --help and --version work with no display
# at all (no QT_QPA_PLATFORM, DISPLAY or WAYLAND_DISPLAY): they are answered before the GUI
# application (and its platform plugin) exists.
set(_no_display ${CMAKE_COMMAND} -E env --unset=QT_QPA_PLATFORM --unset=DISPLAY --unset=WAYLAND_DISPLAY)
execute_process(COMMAND ${_no_display} ${EXE} --help RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "percept --help (no display) exited ${rc}: ${err}")
endif()
foreach(opt --image --video --camera --folder --model --backend --threads --screenshot --frames --timeout --size --help --version)
  string(FIND "${out}" "${opt}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "percept --help does not document ${opt}:\n${out}")
  endif()
endforeach()
execute_process(COMMAND ${_no_display} ${EXE} --version RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^percept ${VERSION}\n")
  message(FATAL_ERROR "percept --version (no display) exited ${rc}, printed '${out}' (expected 'percept ${VERSION}'): ${err}")
endif()
# A bad option given with --help is still an error (exit 2) with its reason, not a display error.
execute_process(COMMAND ${_no_display} ${EXE} --no-such-option --help RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "no-such-option")
  message(FATAL_ERROR "percept --no-such-option --help (no display) exited ${rc}: ${err}")
endif()
