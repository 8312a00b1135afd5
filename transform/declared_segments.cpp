// Keeps declarative element segments through binaryen's reader.
//
// binaryen 132 skips declarative element segments when it reads a binary
// (they only declare functions for ref.func in the wasm it writes). That
// shifts the index of every later segment, so `table.init`/`elem.drop` of a
// later segment silently refer to the wrong one, and one naming the
// declarative segment itself is refused. A declarative segment behaves
// exactly like a passive segment that is dropped at instantiation, so:
//
//  Before (binary):
//   (elem declare func $f)            ;; flags 3
//   (elem $p func $g)                 ;; flags 1
//   (func $init (table.init $p ...))  ;; index 1
//
//  After (read by binaryen):
//   (elem $0 func $f)                 ;; flags 1: passive, same index
//   (elem $p func $g)
//   (start $declared-segments-drop)   ;; calls the old start, if any, after
//   (func $declared-segments-drop (elem.drop $0))
//
// The flag rewrite happens on the bytes before binaryen sees them; the start
// function is added to the IR after reading.

#include <cstring>

#include "ir/names.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "declared_segments.h"

namespace srr {

namespace {

// A cursor over the bytes of one section; every read fails softly (returns
// false) so that anything unexpected leaves the module untouched and lets
// binaryen's own reader report it.
struct Cursor {
  const std::vector<char>& bytes;
  size_t pos;
  size_t end;

  bool u8(uint8_t& out) {
    if (pos >= end) {
      return false;
    }
    out = uint8_t(bytes[pos++]);
    return true;
  }
  bool leb(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      uint8_t b;
      if (!u8(b)) {
        return false;
      }
      if (shift < 64) {
        out |= uint64_t(b & 0x7f) << shift;
      }
      if (!(b & 0x80)) {
        return true;
      }
    }
    return false;
  }
  bool skip(size_t n) {
    if (end - pos < n) {
      return false;
    }
    pos += n;
    return true;
  }
  // A reference type: one byte (funcref, externref, ...) or a GC-style
  // (ref null? heaptype) with a signed LEB heap type.
  bool refType() {
    uint8_t b;
    if (!u8(b)) {
      return false;
    }
    uint64_t ignored;
    return (b == 0x63 || b == 0x64) ? leb(ignored) : true;
  }
  // A constant expression up to and including its `end`.
  bool constExpr() {
    for (;;) {
      uint8_t op;
      uint64_t ignored;
      if (!u8(op)) {
        return false;
      }
      switch (op) {
        case 0x0b: // end
          return true;
        case 0x41: // i32.const
        case 0x42: // i64.const
        case 0x23: // global.get
        case 0xd2: // ref.func
          if (!leb(ignored)) {
            return false;
          }
          break;
        case 0x43: // f32.const
          if (!skip(4)) {
            return false;
          }
          break;
        case 0x44: // f64.const
          if (!skip(8)) {
            return false;
          }
          break;
        case 0xd0: { // ref.null heaptype
          if (!leb(ignored)) {
            return false;
          }
          break;
        }
        case 0x6a: case 0x6b: case 0x6c: // i32.add/sub/mul (extended-const)
        case 0x7c: case 0x7d: case 0x7e: // i64.add/sub/mul
          break;
        case 0xfd: { // v128.const
          uint64_t sub;
          if (!leb(sub) || sub != 12 || !skip(16)) {
            return false;
          }
          break;
        }
        default:
          return false;
      }
    }
  }
};

// Rewrites the element section in place; returns the indexes of the segments
// that were declarative, or nothing if the section is not understood.
std::vector<uint32_t> rewriteElementSection(std::vector<char>& bytes, size_t start, size_t end) {
  Cursor c{bytes, start, end};
  uint64_t count;
  std::vector<uint32_t> declared;
  if (!c.leb(count)) {
    return {};
  }
  for (uint64_t i = 0; i < count; i++) {
    size_t flagsPos = c.pos;
    uint64_t flags, ignored;
    if (!c.leb(flags) || flags > 7) {
      return {};
    }
    // Bit 0: passive or declarative; bit 1: an explicit table index when
    // active, "declarative" when not; bit 2: elements are expressions.
    bool passive = flags & 1, exprs = flags & 4;
    bool explicitTable = !passive && (flags & 2);
    bool declarative = passive && (flags & 2);
    if (!passive) {
      if (explicitTable && !c.leb(ignored)) {
        return {};
      }
      if (!c.constExpr()) {
        return {};
      }
    }
    if (passive || explicitTable) {
      // elemkind byte, or a reference type.
      uint8_t elemKind;
      if (exprs ? !c.refType() : !c.u8(elemKind)) {
        return {};
      }
    }
    uint64_t n;
    if (!c.leb(n)) {
      return {};
    }
    for (uint64_t j = 0; j < n; j++) {
      if (exprs ? !c.constExpr() : !c.leb(ignored)) {
        return {};
      }
    }
    if (declarative) {
      // Flags 3 and 7: declarative. Clearing bit 1 in the first LEB byte makes
      // it passive (1 and 5) with the same remaining encoding.
      declared.push_back(uint32_t(i));
      bytes[flagsPos] = char(uint8_t(bytes[flagsPos]) & ~0x02);
    }
  }
  return c.pos == end ? declared : std::vector<uint32_t>{};
}

} // namespace

std::vector<uint32_t> makeDeclaredSegmentsPassive(std::vector<char>& bytes) {
  std::vector<char> original = bytes;
  Cursor c{bytes, 8, bytes.size()};
  while (c.pos < c.end) {
    uint8_t id;
    uint64_t size;
    if (!c.u8(id) || !c.leb(size) || size > c.end - c.pos) {
      return {};
    }
    if (id == 9) {
      auto declared = rewriteElementSection(bytes, c.pos, c.pos + size);
      if (declared.empty()) {
        bytes = original; // not understood, or nothing to do: leave it be
      }
      return declared;
    }
    c.pos += size;
  }
  return {};
}

void dropDeclaredSegmentsAtStart(wasm::Module& wasm, const std::vector<uint32_t>& declared) {
  using namespace wasm;
  if (declared.empty()) {
    return;
  }
  Builder builder(wasm);
  std::vector<Expression*> body;
  for (uint32_t index : declared) {
    if (index < wasm.elementSegments.size()) {
      body.push_back(builder.makeElemDrop(wasm.elementSegments[index]->name));
    }
  }
  if (wasm.start.is()) {
    body.push_back(builder.makeCall(wasm.start, {}, Type::none));
  }
  Name name = Names::getValidFunctionName(wasm, "declared-segments-drop");
  wasm.addFunction(builder.makeFunction(name, Signature(Type::none, Type::none), {},
                                        builder.makeBlock(body)));
  wasm.start = name;
}

} // namespace srr
