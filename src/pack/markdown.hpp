// The markdown scanner of the category-file parser (docs/DESIGN.md "Prompt
// packs"): lines, ATX headings, code fences, bold labels, list markers,
// "Key: value" lines and the prompter's template artefacts. Shapes only, no
// meaning: which heading says what is vocabulary.hpp. Private to the pack module.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smartspec/pack/pack.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::pack {

struct SrcLine {
  std::string_view text;  // without "\n" / "\r\n"
  int number = 0;         // 1-based
  std::size_t begin;      // byte offset of the line in the document
  std::size_t end;        // byte offset just past its terminator
};

std::vector<SrcLine> lines_of(std::string_view doc);

inline bool is_space(char c) { return c == ' ' || c == '\t'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool contains(std::string_view s, std::string_view needle) {
  return s.find(needle) != std::string_view::npos;
}
inline bool blank(std::string_view s) { return text::trim(s).empty(); }

// "---", "***", "___" (three or more, spaces allowed): a thematic break.
bool thematic_break(std::string_view s);
struct Heading {
  int level = 0;
  std::string_view text;  // without the hashes and a closing hash run
};

// ATX headings only ("## Text"); up to three spaces of indentation. Setext
// headings are not recognised: "text\n---" in a prompt is a separator.
std::optional<Heading> parse_heading(std::string_view line);
std::string_view strip_decoration(std::string_view s);

struct FenceOpen {
  char ch = '`';
  std::size_t len = 0;
  std::size_t indent = 0;
  std::string_view info;
};

std::optional<FenceOpen> parse_fence_open(std::string_view line);
bool closes(std::string_view line, const FenceOpen& open);
// Removes up to `indent` leading blanks (the opening fence's indentation).
std::string_view strip_indent(std::string_view line, std::size_t indent);
// "**Label:**", "**Label**:", "**Label**" alone on a line: returns the label.
std::optional<std::string_view> parse_label(std::string_view line);
// Length of a list marker ("- ", "* ", "+ ", "12. ", "3) ") after the
// indentation, 0 when the line is not a list item. `ordered` tells which kind.
std::size_t list_marker(std::string_view t, bool* ordered);
struct KeyValue {
  std::string key;         // lower-case, without bold markers
  std::string_view value;  // trimmed
};

// "Key: value", "**Key:** value", "**Key**: value", "- Key: value". The key is
// a short run of letters, digits, spaces, '_' and '-'.
std::optional<KeyValue> parse_key_value(std::string_view line);
// The first `code span` of a value, or an unquoted path-like first word.
// Empty when the value names nothing ("``", "", prose).
std::string path_value(std::string_view v);

// Every "{{...}}" of the prompter's template language on one line: control
// tokens ({{#if x}}, {{/if}}, {{else}}, {{else if x}}, {{/each}}) and unfilled
// placeholders ({{name}}, {{similar_files.0.file}}). "${{ x }}" (GitHub
// Actions) and expressions with operators are code, not artefacts.
void scan_artefacts(std::string_view line, int number, const std::string& file,
                    std::vector<Diagnostic>* out);

}  // namespace smartspec::pack
