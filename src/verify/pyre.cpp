// Python 3.11 `re` syntax on PCRE2: a port of re._parser's grammar and
// checks (the parts a str pattern reaches), building a small tree that is
// then written out as PCRE2 syntax with Python's semantics made explicit.
// Only whether a match exists matters to the verifier, so the emitted
// pattern need only accept the same texts.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "verify/pyre.hpp"

#include <pcre2.h>

#include <string>

#include "verify/pyre_emit.hpp"
#include "verify/pyre_parser.hpp"

namespace smartspec::verify::pyre {

Translation translate(std::string_view pattern, unsigned flags) {
  Translation out;
  try {
    Parser parser(decode(pattern), flags);
    Seq tree = parser.parse();
    unsigned fl = parser.state().flags;
    if ((fl & kAscii) != 0 && (fl & kUnicode) != 0) {
      // fix_flags raises ValueError here, which is not re.error: the
      // verifier itself would stop. Nothing matches.
      out.error = "ASCII and UNICODE flags are incompatible";
      return out;
    }
    out.pcre = emit(tree, parser.state(), fl);
  } catch (const ReError& e) {
    out.error = e.what();
    if (e.pos != kNoPos) out.error += " at position " + std::to_string(e.pos);
  }
  return out;
}

std::shared_ptr<Regex> Regex::compile(std::string_view pattern, unsigned flags,
                                      std::string* error) {
  Translation t = translate(pattern, flags);
  if (!t.pcre) {
    if (error != nullptr) *error = t.error;
    return nullptr;
  }
  pcre2_compile_context* ctx = pcre2_compile_context_create(nullptr);
  pcre2_set_newline(ctx, PCRE2_NEWLINE_LF);
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(t.pcre->data()), t.pcre->size(),
                                 PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &code, &offset, ctx);
  pcre2_compile_context_free(ctx);
  if (re == nullptr) {
    // Python accepted it; PCRE2 cannot hold it (a size or nesting limit).
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(code, buf, sizeof buf);
    if (error != nullptr) *error = "PCRE2: " + std::string(reinterpret_cast<char*>(buf));
    return nullptr;
  }
  std::shared_ptr<Regex> out(new Regex());
  out->code_ = re;
  out->jit_ = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
  return out;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

namespace {

// One JIT stack per thread, reserved up to 256 MiB (address space; pages are
// touched only as deep as a match goes), so that long matches stay on the JIT.
struct JitStack {
  pcre2_jit_stack* stack =
      pcre2_jit_stack_create(std::size_t{32} * 1024, std::size_t{256} * 1024 * 1024, nullptr);
  pcre2_match_context* ctx = pcre2_match_context_create(nullptr);
  JitStack() {
    if (stack != nullptr && ctx != nullptr) pcre2_jit_stack_assign(ctx, nullptr, stack);
  }
  ~JitStack() {
    pcre2_match_context_free(ctx);
    pcre2_jit_stack_free(stack);
  }
};

}  // namespace

bool Regex::search(std::string_view text) const {
  auto* re = static_cast<pcre2_code*>(code_);
  thread_local JitStack jit;
  pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  int rc =
      pcre2_match(re, subject, text.size(), 0, PCRE2_NO_UTF_CHECK, md, jit_ ? jit.ctx : nullptr);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    // The JIT's stack is small; the interpreter keeps its backtracking on the heap.
    rc = pcre2_match(re, subject, text.size(), 0, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, nullptr);
  }
  pcre2_match_data_free(md);
  return rc >= 0;
}

}  // namespace smartspec::verify::pyre
