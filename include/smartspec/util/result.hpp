// Expected failures are values: every fallible function returns Result<T>.
// An Error names the file and line it is about, so the CLI can print the one
// line the design asks for: "smartspec-batch: error: <file>[:<line>]: <what>".
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace smartspec {

// Exit codes fixed by docs/DESIGN.md.
enum class Exit : int {
  kOk = 0,
  kTasksFailed = 1,
  kBadInput = 2,
  kStopped = 3,
  kLocked = 4,
  kInternalError = 70,  // an exception reached main
};

// The process exit status of `e` (commands return their exit code as an int).
constexpr int to_int(Exit e) noexcept { return static_cast<int>(e); }

// Error::code values of every module, in one list so that no two kinds share
// a number (git's "ref moved" and exec's "command not found" were both 1).
// Modules name them in their own namespace (git::kRefMoved …).
namespace errc {
inline constexpr int kNone = 0;
inline constexpr int kRefMoved = 1;         // git: compare-and-swap lost
inline constexpr int kNotFound = 2;         // git: revision / ref / path does not exist
inline constexpr int kLockHeld = 3;         // git: another live run holds the repository lock
inline constexpr int kUnsupported = 4;      // git: a repository libgit2 1.5.1 cannot open
inline constexpr int kCommandNotFound = 5;  // exec: argv[0] not found / not executable
inline constexpr int kCannotStart = 6;      // exec: fork, pipe, chdir ... failed
}  // namespace errc

struct Error {
  std::string file;     // may be empty when the error is about no file
  int line = 0;         // 1-based; 0 = no line
  std::string message;  // one line, no trailing period needed
  Exit exit = Exit::kBadInput;
  // Finer kind for callers that branch on it (errc::, e.g. git::kRefMoved); 0 = none.
  int code = 0;

  // "<file>:<line>: <message>", "<file>: <message>" or "<message>".
  [[nodiscard]] std::string to_string() const;
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(std::string message) {
  return tl::unexpected<Error>(Error{{}, 0, std::move(message)});
}
inline tl::unexpected<Error> fail(std::string file, int line, std::string message) {
  return tl::unexpected<Error>(Error{std::move(file), line, std::move(message)});
}
inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

}  // namespace smartspec

// Propagate an error: TRY(auto x, f()); or TRY_VOID(f());
// `decl` is a declaration ("auto x"), which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define SMARTSPEC_CAT2(a, b) a##b
#define SMARTSPEC_CAT(a, b) SMARTSPEC_CAT2(a, b)
#define TRY(decl, expr)                                                            \
  auto SMARTSPEC_CAT(try_tmp_, __LINE__) = (expr);                                 \
  if (!SMARTSPEC_CAT(try_tmp_, __LINE__))                                          \
    return ::tl::unexpected(std::move(SMARTSPEC_CAT(try_tmp_, __LINE__)).error()); \
  decl = std::move(*SMARTSPEC_CAT(try_tmp_, __LINE__))
#define TRY_VOID(expr)                                                     \
  do {                                                                     \
    auto try_tmp_v = (expr);                                               \
    if (!try_tmp_v) return ::tl::unexpected(std::move(try_tmp_v).error()); \
  } while (0)
// NOLINTEND(bugprone-macro-parentheses)
