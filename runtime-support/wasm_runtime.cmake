# shadowrr_add_wasm_runtime(NAME SOURCES ... DEPENDS ... STACK bytes): one of
# the two freestanding wasm32 runtimes (the recorder, the replayer) built as
#   ${CMAKE_CURRENT_BINARY_DIR}/NAME.wasm   (memory exported as "shadowrr_memory")
# and embedded as a C array (NAME_blob.c, by embed_wasm.cmake, symbol
# srr_NAME_wasm) into the static library shadowrr_NAME_blob, whose include
# path is the calling directory (NAME_blob.h and NAME_abi.h live there).
# Needs SHADOWRR_WASM_CC_PATH (find_wasm_cc.cmake) and the wasm_rename_export
# tool (runtime-support/recorder). Sets NAME_WASM_PATH in the caller.
#
# Freestanding wasm32: no libc (copies become memory.copy with bulk memory),
# LTO (the srr_trace.c encoders and decoders inline into the hot entry
# points), no entry point, every import declared by attributes (an undefined
# symbol is a link error), a stack of STACK bytes placed first so an
# overflow traps.
function(shadowrr_add_wasm_runtime NAME)
  cmake_parse_arguments(RT "" "STACK" "SOURCES;DEPENDS" ${ARGN})
  set(_support "${PROJECT_SOURCE_DIR}/runtime-support")
  set(_raw "${CMAKE_CURRENT_BINARY_DIR}/${NAME}.raw.wasm")
  set(_wasm "${CMAKE_CURRENT_BINARY_DIR}/${NAME}.wasm")
  set(_blob "${CMAKE_CURRENT_BINARY_DIR}/${NAME}_blob.c")
  set(_flags
    --target=wasm32 -nostdlib -ffreestanding -std=c11 -O2 -flto -mbulk-memory
    ${SHADOWRR_C_WARNINGS}
    -I${CMAKE_CURRENT_SOURCE_DIR} -I${_support}/trace -I${_support}
    -Wl,--no-entry -Wl,-z,stack-size=${RT_STACK} -Wl,--stack-first -Wl,--strip-debug)
  add_custom_command(
    OUTPUT "${_raw}"
    COMMAND "${SHADOWRR_WASM_CC_PATH}" ${_flags} ${RT_SOURCES} -o "${_raw}"
    DEPENDS ${RT_SOURCES} ${RT_DEPENDS}
            "${_support}/wasi_imports.h" "${_support}/wasi_preopen.h" "${_support}/wasm_stack.h"
            "${_support}/wasm_own_memory.h" "${_support}/trace/srr_trace.h"
    COMMENT "wasm32 ${NAME} (${NAME}.raw.wasm)"
    VERBATIM)
  # wasm-ld (LLVM < 16) always exports the memory as "memory": rename it.
  add_custom_command(
    OUTPUT "${_wasm}"
    COMMAND wasm_rename_export "${_raw}" "${_wasm}" memory shadowrr_memory
    DEPENDS "${_raw}" wasm_rename_export
    COMMENT "${NAME}.wasm (memory exported as shadowrr_memory)"
    VERBATIM)
  add_custom_command(
    OUTPUT "${_blob}"
    COMMAND "${CMAKE_COMMAND}" -DIN=${_wasm} -DOUT=${_blob} -DNAME=srr_${NAME}_wasm
            -DHEADER=${NAME}_blob.h -P "${_support}/recorder/embed_wasm.cmake"
    DEPENDS "${_wasm}" "${_support}/recorder/embed_wasm.cmake"
    COMMENT "${NAME}_blob.c (${NAME}.wasm as a C array)"
    VERBATIM)
  add_custom_target(shadowrr_${NAME}_wasm ALL DEPENDS "${_wasm}")
  add_library(shadowrr_${NAME}_blob STATIC "${_blob}")
  target_include_directories(shadowrr_${NAME}_blob PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  add_dependencies(shadowrr_${NAME}_blob shadowrr_${NAME}_wasm)
  set(${NAME}_WASM_PATH "${_wasm}" PARENT_SCOPE)
endfunction()
