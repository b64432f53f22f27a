#include "plan/content.hpp"

#include <algorithm>
#include <cctype>

#include "smartspec/util/text.hpp"

namespace smartspec::plan::content {

namespace {

enum class Comments { kNone, kHash, kSlash, kHtml };

std::string extension(const std::string& path) {
  auto slash = path.rfind('/');
  auto dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
  return text::to_lower(std::string_view(path).substr(dot + 1));
}

Comments comments_for(const std::string& path, const std::string& lang) {
  std::string ext = extension(path);
  if (ext.empty()) ext = lang;
  static const char* hash[] = {"py",   "python", "sh",         "bash", "zsh",     "rb",
                               "ruby", "yaml",   "yml",        "toml", "pl",      "r",
                               "cfg",  "ini",    "dockerfile", "mk",   "makefile"};
  static const char* slash[] = {"js",  "javascript", "ts",  "typescript", "jsx", "tsx",   "c",
                                "h",   "cc",         "cpp", "hpp",        "cxx", "java",  "go",
                                "rs",  "rust",       "kt",  "swift",      "cs",  "scala", "php",
                                "css", "scss",       "mjs", "cjs"};
  for (const char* e : hash)
    if (ext == e) return Comments::kHash;
  for (const char* e : slash)
    if (ext == e) return Comments::kSlash;
  if (ext == "html" || ext == "htm" || ext == "xml" || ext == "vue" || ext == "svelte")
    return Comments::kHtml;
  return Comments::kNone;
}

bool is_import(std::string_view l) {
  return l.starts_with("import ") || (l.starts_with("from ") && l.find(" import ") != l.npos) ||
         l.starts_with("#include") || l.starts_with("require(") ||
         (l.starts_with("const ") && l.find("require(") != l.npos) || l.starts_with("use ") ||
         l.starts_with("package ");
}

// A line that only declares structure (what skeletons are made of).
bool is_declaration(std::string_view l) {
  return l.starts_with("def ") || l.starts_with("async def ") || l.starts_with("class ") ||
         l.starts_with("function ") || l.starts_with("export ") || l.starts_with("@") ||
         l == "pass" || l == "..." || l.starts_with("raise NotImplementedError") || l == "return" ||
         l == "return None" || l == "}" || l == "};" || l == "{" || l.starts_with("describe(") ||
         l.starts_with("it(") || l.starts_with("test(");
}

// A line that does nothing by itself: a lone string literal ("", "x", a
// one-line docstring) or a lone (dotted) name — what the real prompter's
// templates leave as placeholders ("{{missing_content}}", `"{{missing_content}}"`).
bool is_placeholder_line(std::string_view l) {
  while (!l.empty() && (l.back() == ';' || l.back() == ',')) l.remove_suffix(1);
  l = text::trim(l);
  if (l.empty()) return true;
  if (l.size() >= 2 && (l.front() == '"' || l.front() == '\'' || l.front() == '`') &&
      l.back() == l.front()) {
    std::string_view inner = l.substr(1, l.size() - 2);
    return inner.find(l.front()) == std::string_view::npos;
  }
  auto ident = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '$';
  };
  if (std::isdigit(static_cast<unsigned char>(l.front())) != 0) return false;
  return std::all_of(l.begin(), l.end(), ident);
}

// Languages a fence tag may name for each file extension.
const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>& families() {
  static const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> f = {
      {{"py", "pyi", "pyw"}, {"python", "py", "python3", "py3"}},
      {{"sh", "bash", "zsh", "ksh", "bats"},
       {"sh", "bash", "shell", "zsh", "ksh", "bats", "console"}},
      {{"js", "mjs", "cjs", "jsx"}, {"javascript", "js", "jsx", "mjs", "cjs", "node"}},
      {{"ts", "tsx", "mts", "cts"}, {"typescript", "ts", "tsx", "javascript", "js", "jsx"}},
      {{"go"}, {"go", "golang"}},
      {{"rs"}, {"rust", "rs"}},
      {{"java"}, {"java"}},
      {{"kt", "kts"}, {"kotlin", "kt", "kts"}},
      {{"c", "h"}, {"c", "h", "cpp", "c++"}},
      {{"cc", "cpp", "cxx", "hpp", "hh", "hxx"}, {"cpp", "c++", "cc", "cxx", "hpp", "c"}},
      {{"cs"}, {"csharp", "cs", "c#"}},
      {{"rb"}, {"ruby", "rb"}},
      {{"php"}, {"php"}},
      {{"swift"}, {"swift"}},
      {{"json"}, {"json", "jsonc", "json5"}},
      {{"yaml", "yml"}, {"yaml", "yml"}},
      {{"toml"}, {"toml"}},
      {{"md", "markdown"}, {"markdown", "md", "text", "txt"}},
      {{"rst", "txt"}, {"text", "txt", "rst", "plain", "plaintext"}},
      {{"html", "htm"}, {"html", "htm", "xml"}},
      {{"css"}, {"css"}},
      {{"scss"}, {"scss", "css"}},
      {{"sql"}, {"sql"}},
      {{"xml"}, {"xml"}},
      {{"ini", "cfg"}, {"ini", "cfg"}},
  };
  return f;
}

}  // namespace

bool language_fits(const std::string& lang, const std::string& path) {
  if (lang.empty()) return true;  // an untagged fence says nothing against the file
  std::string ext = extension(path);
  for (const auto& [exts, tags] : families()) {
    if (std::find(exts.begin(), exts.end(), ext) == exts.end()) continue;
    return std::find(tags.begin(), tags.end(), lang) != tags.end();
  }
  // No extension (a script, a config file): nothing to hold the tag against.
  if (ext.empty()) return true;
  // An extension we do not know: only a tag that names it.
  return lang == ext;
}

Kind classify(std::string_view body, const std::string& path, const std::string& lang) {
  Comments c = comments_for(path, lang);
  bool todo = body.find("TODO") != std::string_view::npos;
  bool in_doc = false;
  std::string_view doc_quote;
  bool in_block = false;
  int substantive = 0, declarations = 0;
  for (const auto& ln : text::split_lines(body)) {
    std::string_view l = text::trim(ln.text);
    if (l.empty()) continue;
    if (c == Comments::kHash) {
      if (in_doc) {
        if (l.find(doc_quote) != l.npos) in_doc = false;
        continue;
      }
      if (l.starts_with("\"\"\"") || l.starts_with("'''")) {
        doc_quote = l.substr(0, 3);
        std::string_view rest = l.substr(3);
        if (rest.find(doc_quote) == rest.npos) in_doc = true;
        continue;
      }
      if (l.starts_with("#")) continue;
    } else if (c == Comments::kSlash) {
      if (in_block) {
        if (l.find("*/") != l.npos) in_block = false;
        continue;
      }
      if (l.starts_with("//")) continue;
      if (l.starts_with("/*")) {
        if (l.find("*/") == l.npos) in_block = true;
        continue;
      }
    } else if (c == Comments::kHtml) {
      if (in_block) {
        if (l.find("-->") != l.npos) in_block = false;
        continue;
      }
      if (l.starts_with("<!--")) {
        if (l.find("-->") == l.npos) in_block = true;
        continue;
      }
    }
    if (is_placeholder_line(l)) continue;
    if (c != Comments::kNone && is_import(l)) continue;
    if (c != Comments::kNone && is_declaration(l)) {
      ++declarations;
      continue;
    }
    ++substantive;
  }
  if (substantive == 0 && declarations == 0) return Kind::kEmpty;
  // A TODO marks a template to be filled in, whatever else it holds.
  if (substantive == 0 || todo) return Kind::kSkeleton;  // only signatures and `pass`
  return Kind::kReal;
}

void assign(PlannedFile& f, const std::vector<Fence>& fences, std::vector<std::string>* notes) {
  std::string joined;
  std::string lang;
  Kind best = Kind::kEmpty;
  for (const auto& fence : fences) {
    // Examples illustrate; they are not the file's content.
    if (text::to_lower(fence.heading).find("example") != std::string::npos) continue;
    if (!language_fits(fence.lang, f.path)) {
      if (notes != nullptr && classify(fence.body, f.path, fence.lang) != Kind::kEmpty) {
        std::string n =
            "fence language " + fence.lang + " does not fit " + f.path + "; not written";
        if (std::find(notes->begin(), notes->end(), n) == notes->end()) notes->push_back(n);
      }
      continue;
    }
    Kind k = classify(fence.body, f.path, fence.lang);
    if (k == Kind::kEmpty) continue;
    if (lang.empty()) lang = fence.lang;
    int closing = fence.line + static_cast<int>(text::split_lines(fence.body).size()) + 1;
    if (f.content_first_line == 0) f.content_first_line = fence.line;
    f.content_last_line = std::max(f.content_last_line, closing);
    if (!joined.empty()) joined += "\n";
    joined += fence.body;
    if (k == Kind::kReal)
      best = Kind::kReal;
    else if (best == Kind::kEmpty)
      best = Kind::kSkeleton;
  }
  f.content = std::move(joined);
  f.lang = lang;
  f.has_content = best == Kind::kReal;
  f.skeleton = best == Kind::kSkeleton;
}

}  // namespace smartspec::plan::content
