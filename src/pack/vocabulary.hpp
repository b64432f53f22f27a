// The heading vocabulary of the category-file parser: task headers, which
// headings and labels announce instructions, content, code or tests, file
// names that look like tests, and what ends a task's section. Private to the
// pack module.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "pack/markdown.hpp"

namespace smartspec::pack {

struct TaskHeader {
  int level = 0;
  int number = 0;
  std::string id;
  std::string title;
  bool numbered = false;
};

// "Task N: ID - Title", "Task: ID", "Task #3: ID", "Task 3 : ID Title".
std::optional<TaskHeader> parse_task_header(const Heading& h);

// Test files by name: tests/ or test/ directories, test_*.py, *_test.*, *.test.*, *.spec.*.
bool looks_like_test(std::string_view path);

enum class Kind { kNeutral, kInstruction, kContent };

enum class Hint { kNone, kCode, kTest };

struct Context {
  Kind kind = Kind::kNeutral;
  Hint role = Hint::kNone;
  std::string label;  // heading or label text as written (Fence::heading)
  bool file_heading = false;
  bool existing = false;  // "Existing Test": describes a file, its fences are not content
};

// Lower-case, without emphasis markers, a leading "1." / "a)" numbering and
// leading symbols (emoji), without a trailing colon.
std::string normalize(std::string_view s);
bool any_of(std::string_view s, std::initializer_list<std::string_view> words);
// Classifies a heading or label. `enclosing` is the heading context a label
// stands in ("Example" is content only under a content heading).
Context classify(std::string_view written, const std::string& n, const Context* enclosing);

// A non-task heading that ends a section: one at the task header's level or
// above, or the prompter's trailing "What's Next?" block at any level.
bool ends_section(const Heading& h, const std::string& n, int task_level);

}  // namespace smartspec::pack
