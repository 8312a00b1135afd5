# The wasm-capable clang, found once for the recorder, the replayer and
# tests/programs: the cache variables SHADOWRR_WASM_CC (a name or a path) and
# SHADOWRR_WASM_CC_PATH (its resolved path).

# Resolves SHADOWRR_WASM_CC into SHADOWRR_WASM_CC_PATH (again whenever
# SHADOWRR_WASM_CC changes); without it, stops configuring with a message
# naming `who` needs it and `hint` (what to install).
function(shadowrr_find_wasm_cc who hint)
  set(SHADOWRR_WASM_CC "clang" CACHE STRING "clang able to target wasm32-wasi (name or path)")
  if(NOT SHADOWRR_WASM_CC_PATH OR NOT "${_SHADOWRR_WASM_CC_FOR}" STREQUAL "${SHADOWRR_WASM_CC}")
    unset(SHADOWRR_WASM_CC_PATH CACHE)
    find_program(SHADOWRR_WASM_CC_PATH NAMES "${SHADOWRR_WASM_CC}"
      DOC "Resolved path of SHADOWRR_WASM_CC")
    set(_SHADOWRR_WASM_CC_FOR "${SHADOWRR_WASM_CC}" CACHE INTERNAL "")
  endif()
  if(NOT SHADOWRR_WASM_CC_PATH OR NOT EXISTS "${SHADOWRR_WASM_CC_PATH}")
    message(FATAL_ERROR
      "${who}: no C compiler '${SHADOWRR_WASM_CC}' found for wasm32.\n"
      "${hint} (scripts/bootstrap.sh does this), or set -DSHADOWRR_WASM_CC=/path/to/clang.")
  endif()
endfunction()
