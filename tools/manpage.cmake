# Writes the nvlsim(1) man page from the program's own help texts, so it can never disagree with
# them: the overview, then every command's `nvlsim help COMMAND`.
# usage: cmake -DNVLSIM=path/to/nvlsim -DOUT=nvlsim.1 -DVERSION=x.y.z -P tools/manpage.cmake

# Text for roff: backslashes escaped, lines that start with . or ' made literal.
function(roff_text in out)
  string(REPLACE "\\" "\\e" t "${in}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" t "${t}")
  set(${out} "${t}" PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${NVLSIM} --help OUTPUT_VARIABLE overview RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nvlsim --help failed (${rc})")
endif()
string(REGEX MATCHALL "\n  [a-z][a-z-]+  " cmds "${overview}")
roff_text("${overview}" ov)
set(man ".TH NVLSIM 1 \"\" \"nvlsim ${VERSION}\" \"User Commands\"
.SH NAME
nvlsim \\- simulate NVLink-style GPU interconnects described in JSON
.SH SYNOPSIS
.nf
${ov}.fi
.SH DESCRIPTION
nvlsim validates a design (a CI gate with precise errors and exit codes), describes it,
simulates collectives, traffic patterns, LLM steps and Chakra traces on it with a flow-level
discrete-event model on SimGrid, and runs what-if sweeps and comparisons exported as CSV.
The manual is README.md (installed with the documentation, under share/doc/nvlsim).
.SH COMMANDS
")
foreach(c ${cmds})
  string(STRIP "${c}" c)
  if(c STREQUAL "help")
    continue()
  endif()
  execute_process(COMMAND ${NVLSIM} help ${c} OUTPUT_VARIABLE h RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nvlsim help ${c} failed (${rc})")
  endif()
  roff_text("${h}" h)
  string(APPEND man ".SS ${c}\n.nf\n${h}.fi\n")
endforeach()
string(APPEND man ".SH EXIT STATUS
0 done (every design valid, every row within tolerance); 1 invalid input, failed check or
simulation error; 2 bad command line, unreadable input or unwritable output; 3 out of memory;
4 \\-\\-time\\-limit exceeded; 5 \\-\\-memory\\-limit exceeded; a signal ends nvlsim by that
signal (130 for SIGINT, 143 for SIGTERM in a shell).
.SH SEE ALSO
README.md, docs/design-format.md and docs/catalog.md in share/doc/nvlsim.
")
file(WRITE ${OUT} "${man}")
