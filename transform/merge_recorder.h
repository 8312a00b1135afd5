// Merging the recorder into an application module: see merge_recorder.cpp.
#ifndef SHADOWRR_MERGE_RECORDER_H
#define SHADOWRR_MERGE_RECORDER_H

#include <cstdint>
#include <string>
#include <vector>

#include "wasm.h"

#include "record_context.h"

namespace srr {

struct RecorderConfig {
  const unsigned char* recorderWasm; // runtime-support/recorder's recorder.wasm
  size_t recorderWasmSize;
  std::vector<char> header;          // the trace header body
  std::string tracePath;             // where the recorder writes the trace
  uint32_t flags;                    // SRR_FLAG_*
};

// Copies the recorder into `app` (whose shadow memories must exist already,
// listed in `context`), resolves its imports, exports its shadowrr_*
// functions, and fills in the recorder's function names in `context`.
bool mergeRecorder(wasm::Module& app, RecordContext& context, const RecorderConfig& config, std::string& error);

} // namespace srr

#endif // SHADOWRR_MERGE_RECORDER_H
