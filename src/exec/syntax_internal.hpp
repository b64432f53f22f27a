// What the syntax checks (syntax.cpp) and the Python checker's session
// (syntax_session.cpp) share. Private to the exec module.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "smartspec/exec/syntax.hpp"

namespace smartspec::exec {

inline constexpr double kCheckerTimeout = 120;

// The lower-case extension of a path ("" when none).
std::string extension_of(const std::string& rel);

// "path:line: message" lines of the Python checker → errors (`root/path`:
// the server gets absolute paths, its working directory is the project's).
void python_errors(std::string_view output, const std::string& root,
                   const std::vector<std::string>& files, SyntaxReport& rep);

// check_syntax's body; Python files go to `python` (a session's server) when given.
SyntaxReport check_with(
    const std::string& root, const std::vector<std::string>& rels, const ExtraChecks& extra,
    const std::function<bool(const std::vector<std::string>&, SyntaxReport&)>& python_server);

}  // namespace smartspec::exec
