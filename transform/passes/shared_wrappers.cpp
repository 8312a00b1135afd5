// shared-wrappers: imports of one signature whose wrappers differ only in
// the import's number and the import they call share one wrapper, which
// takes the number as a last parameter. Why: an engine that compiles lazily
// (V8) compiles each wrapper the first time it runs, about 10 microseconds
// on a small VM. A guest that calls bench.start and then bench.end would
// compile bench.end's wrapper inside the region it times; with one shared
// wrapper, bench.start's call compiled it. Fewer wrappers also mean less to
// compile in any run. V8's optimising tier inlines the shared wrapper with
// the constant and folds the dispatch away.
//
//  Before (record-imports, bench.start and bench.end declared pure):
//   (call $srr$import$bench_start)
//   (call $srr$import$bench_end)
//   (func $srr$import$bench_start
//    (call $srr_rec_begin (i32.const 1) (i32.const 8) (i32.const 6)) (call $srr_rec_end)
//    (call $bench_start)
//    (call $srr_rec_begin (i32.const 2) (i32.const 8) (i32.const 6)) (call $srr_rec_end))
//   (func $srr$import$bench_end ...the same with 9 and $bench_end...)
//
//  After:
//   (call $srr$imports (i32.const 8))
//   (call $srr$imports (i32.const 9))
//   (func $srr$imports (param $which i32)
//    (call $srr_rec_begin (i32.const 1) (local.get $which) (i32.const 6)) (call $srr_rec_end)
//    (block $called
//     (block $default (block $9 (block $8
//       (br_table $default ... $8 $9 $default (local.get $which)))   ;; by number
//      (call $bench_start) (br $called))
//     (call $bench_end) (br $called))
//     (unreachable))
//    (call $srr_rec_begin (i32.const 2) (local.get $which) (i32.const 6)) (call $srr_rec_end))
//   (func $srr$import$bench_start (call $srr$imports (i32.const 8)))  ;; for tables, ref.func, exports
//   (func $srr$import$bench_end (call $srr$imports (i32.const 9)))

#include <map>

#include "ir/names.h"
#include "pass.h"
#include "wasm-builder.h"
#include "wasm-traversal.h"

#include "shared_wrappers.h"

using namespace wasm;

namespace srr {

namespace {

// The call of whichever import of `group` `which` names: a br_table over the
// imports' numbers, each target calling its import; a number outside the
// group traps (no caller passes one).
Expression* dispatch(Builder& builder, const std::vector<WrappedImport>& group, Expression* which,
                     const std::vector<Expression*>& args, Module& wasm) {
  Type results = group[0].import->getResults();
  uint32_t highest = 0;
  for (const WrappedImport& item : group) {
    highest = std::max(highest, item.index);
  }
  // (the shared wrapper is generated whole: its labels cannot clash)
  Name called("srr$called");
  Name fallback("srr$default");
  std::vector<Name> labels;
  for (size_t i = 0; i < group.size(); i++) {
    labels.push_back(Name("srr$import" + std::to_string(i)));
  }
  std::vector<Name> targets(highest + 1, fallback);
  for (size_t i = 0; i < group.size(); i++) {
    targets[group[i].index] = labels[i];
  }
  // Innermost: the br_table; after block i closes, import i is called and
  // the call's results leave through $called.
  Expression* inner = builder.makeSwitch(targets, fallback, which);
  for (size_t i = 0; i < group.size(); i++) {
    std::vector<Expression*> argCopies;
    for (Expression* arg : args) {
      argCopies.push_back(ExpressionManipulator::copy(arg, wasm));
    }
    Expression* call = builder.makeCall(group[i].import->name, argCopies, results);
    Block* target = builder.makeBlock(labels[i], {inner}, Type::none);
    Expression* leave = results == Type::none ? (Expression*)builder.makeSequence(call, builder.makeBreak(called))
                                              : builder.makeBreak(called, call);
    inner = builder.makeBlock({target, leave});
  }
  Block* outer = builder.makeBlock(fallback, {inner}, Type::none);
  return builder.makeBlock(called, {outer, builder.makeUnreachable()}, results);
}

} // namespace

std::vector<std::vector<WrappedImport>> groupImports(const std::vector<Function*>& imports,
                                                     const std::map<Name, Name>& wrapperOf,
                                                     const std::function<int(Function*)>& kind) {
  std::vector<std::vector<WrappedImport>> groups;
  std::map<std::tuple<uintptr_t, uintptr_t, int>, size_t> groupOf; // (params, results, kind) -> group
  for (uint32_t index = 0; index < imports.size(); index++) {
    Function* import = imports[index];
    WrappedImport item{index, import, wrapperOf.at(import->name)};
    int alike = kind(import);
    Signature sig = import->getSig();
    auto [it, added] = groupOf.try_emplace({sig.params.getID(), sig.results.getID(), alike}, groups.size());
    if (alike < 0 || added) {
      groups.emplace_back();
    }
    groups[alike < 0 ? groups.size() - 1 : it->second].push_back(item);
  }
  return groups;
}

std::set<Name> defineImportWrappers(Module& wasm, const std::vector<std::vector<WrappedImport>>& groups,
                                    const std::string& sharedName, const WrapperBody& makeBody) {
  Builder builder(wasm);
  std::set<Name> defined;
  // Direct calls of a grouped import's wrapper: -> (shared wrapper, number).
  std::map<Name, std::pair<Name, uint32_t>> sharedCall;
  for (const auto& group : groups) {
    Signature sig = group[0].import->getSig();
    auto params = [&](std::vector<Expression*>& into) {
      for (Index i = 0; i < sig.params.size(); i++) {
        into.push_back(builder.makeLocalGet(i, sig.params[i]));
      }
    };
    if (group.size() == 1) {
      const WrappedImport& item = group[0];
      WrapperSite site{item.import,
                       [&]() { return builder.makeConst(Literal(int32_t(item.index))); },
                       [&](std::vector<Expression*> args) { return builder.makeCall(item.import->name, args, sig.results); },
                       Index(sig.params.size())};
      std::vector<Type> vars;
      Expression* body = makeBody(site, vars);
      wasm.addFunction(builder.makeFunction(item.wrapper, sig, std::move(vars), body));
      defined.insert(item.wrapper);
      continue;
    }
    Index which = sig.params.size();
    std::vector<Type> sharedParams(sig.params.begin(), sig.params.end());
    sharedParams.push_back(Type::i32);
    Signature shared(Type(sharedParams), sig.results);
    Name name = Names::getValidFunctionName(wasm, sharedName);
    WrapperSite site{group[0].import,
                     [&]() { return builder.makeLocalGet(which, Type::i32); },
                     [&](std::vector<Expression*> args) {
                       return dispatch(builder, group, builder.makeLocalGet(which, Type::i32), args, wasm);
                     },
                     Index(which + 1)};
    std::vector<Type> vars;
    Expression* body = makeBody(site, vars);
    wasm.addFunction(builder.makeFunction(name, shared, std::move(vars), body));
    defined.insert(name);
    for (const WrappedImport& item : group) {
      std::vector<Expression*> args;
      params(args);
      args.push_back(builder.makeConst(Literal(int32_t(item.index))));
      wasm.addFunction(builder.makeFunction(item.wrapper, sig, {}, builder.makeCall(name, args, sig.results)));
      sharedCall[item.wrapper] = {name, item.index};
      defined.insert(item.wrapper);
    }
  }
  if (sharedCall.empty()) {
    return defined;
  }
  struct ToShared : public WalkerPass<PostWalker<ToShared>> {
    const std::map<Name, std::pair<Name, uint32_t>>* sharedCall;
    void visitCall(Call* curr) {
      // (the forwarders call the shared wrapper itself: left as they are)
      if (auto it = sharedCall->find(curr->target); it != sharedCall->end()) {
        curr->target = it->second.first;
        curr->operands.push_back(Builder(*getModule()).makeConst(Literal(int32_t(it->second.second))));
      }
    }
  } toShared;
  toShared.sharedCall = &sharedCall;
  PassRunner runner(&wasm);
  toShared.run(&runner, &wasm); // functions one by one: it only renames calls
  return defined;
}

} // namespace srr
