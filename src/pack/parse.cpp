// Category-file parser (docs/DESIGN.md "Prompt packs"): one linear pass over the
// lines, no regular expressions. Fences are recognised first so that nothing
// inside a fence is ever taken for a heading, a path or a label.
//
// Which fence belongs to which file is decided by the context the fence stands
// in (the nearest heading, bold label, TDD step or numbered step above it), not
// by its language tag; see classify() for the vocabulary.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pack/builder.hpp"
#include "pack/markdown.hpp"
#include "pack/vocabulary.hpp"
#include "smartspec/pack/pack.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::pack {

using std::string;
using std::string_view;

namespace {

// The pass over one category file: its state between lines and what each kind
// of line (inside a fence, a fence's opening, a heading, any other) does to it.
class CategoryParser {
 public:
  CategoryParser(string_view doc, const string& name, Unit category)
      : doc_(doc), lines_(lines_of(doc)), name_(name), category_(category) {}

  Result<std::vector<PackTask>> run() {
    for (std::size_t i = 0; i < lines_.size(); ++i) {
      const SrcLine& ln = lines_[i];
      string_view s = ln.text;
      if (open_) {
        fence_line(s, ln.number);
        continue;
      }
      if (auto fo = parse_fence_open(s)) {
        fence_opens(*fo, s, ln.number);
        continue;
      }
      // A heading that holds an unfilled placeholder is template debris, not structure.
      std::optional<Heading> h;
      if (!contains(s, "{{")) h = parse_heading(s);
      if (h) {
        heading(*h, ln.number, i);
        continue;
      }
      if (cur_) body_line(*cur_, s, ln.number);
    }
    if (open_) return fail(name_, open_line_, "unterminated code fence");
    if (cur_) tasks_.push_back(finish(&*cur_, lines_, lines_.size() - 1, doc_));
    return std::move(tasks_);
  }

 private:
  // A line inside a fence: its body, or the line that closes it.
  void fence_line(string_view s, int number) {
    if (!closes(s, *open_)) {
      body_.append(strip_indent(s, open_->indent));
      body_.push_back('\n');
      if (cur_) scan_artefacts(s, number, name_, &cur_->task.artefacts);
      return;
    }
    if (cur_) {
      PendingFence pf;
      pf.fence.info = string(open_->info);
      std::size_t sp = 0;
      while (sp < open_->info.size() && !is_space(open_->info[sp])) ++sp;
      pf.fence.lang = text::to_lower(open_->info.substr(0, sp));
      pf.fence.body = std::move(body_);
      pf.fence.line = open_line_;
      pf.fence.heading = fence_ctx_.label;
      pf.kind = fence_ctx_.kind;
      pf.role = fence_ctx_.role;
      pf.file_index = fence_file_;
      cur_->fences.push_back(std::move(pf));
    }
    body_.clear();
    open_.reset();
  }

  // A fence opens: the context above it decides what its body is.
  void fence_opens(const FenceOpen& fo, string_view s, int number) {
    open_ = fo;
    open_line_ = number;
    body_.clear();
    if (!cur_) return;
    cur_->title_pending = false;
    fence_ctx_ = cur_->ctx();
    fence_file_ = cur_->label_ctx && cur_->promoted_file >= 0 ? cur_->promoted_file : -1;
    scan_artefacts(s, number, name_, &cur_->task.artefacts);
  }

  // A task's header starts a task; a heading that ends the section ends it;
  // any other heading inside a task sets the context of what follows.
  void heading(const Heading& h, int number, std::size_t i) {
    if (auto th = parse_task_header(h)) {
      if (cur_) tasks_.push_back(finish(&*cur_, lines_, i - 1, doc_));
      cur_.emplace();
      cur_->task.id = std::move(th->id);
      cur_->task.title = std::move(th->title);
      cur_->task.category = category_;
      cur_->task.source = name_;
      cur_->task.line = number;
      cur_->task.number = th->number;
      cur_->old_shape = !th->numbered;
      cur_->header_index = i;
      cur_->level = th->level;
      cur_->title_pending = cur_->task.title.empty();
      cur_->heading_ctx.label = string(h.text);
      return;
    }
    if (!cur_) return;
    const string n = normalize(h.text);
    if (ends_section(h, n, cur_->level)) {
      tasks_.push_back(finish(&*cur_, lines_, i - 1, doc_));
      cur_.reset();
      return;
    }
    cur_->title_pending = false;
    cur_->heading_ctx = classify(h.text, n, nullptr);
    cur_->label_ctx.reset();
    cur_->promoted_file = -1;
    cur_->last_file = -1;
    cur_->in_suggestions = contains(n, "suggestion");
    cur_->in_similar = contains(n, "similar file");
    // "#### File: `src/a.py`" (the shape SmartSpec's own guides use): the
    // heading names the file whose content the fences under it are.
    if (auto kv = parse_key_value(h.text); kv && !path_value(kv->value).empty()) {
      handle_path(&*cur_, *kv, number);
    }
  }

  // Any other line of a task: its title, a label, a list item, a key: value.
  void body_line(Builder& b, string_view s, int number) {
    scan_artefacts(s, number, name_, &b.task.artefacts);
    if (blank(s)) return;
    std::optional<KeyValue> kv = parse_key_value(s);
    if (b.title_pending && !kv && !thematic_break(s) && !parse_label(s)) {
      bool ordered = false;
      string_view t = text::trim(s);
      if (list_marker(t, &ordered) == 0) {
        b.task.title = string(t);
        b.title_pending = false;
        return;
      }
    }
    if (auto label = parse_label(s)) {
      b.label_ctx = classify(*label, normalize(*label), &b.heading_ctx);
      if (b.label_ctx->kind == Kind::kNeutral && b.label_ctx->role == Hint::kNone &&
          !b.label_ctx->file_heading) {
        b.label_ctx.reset();  // "**Note:**" says nothing about what follows
      }
      b.promoted_file = -1;
      return;
    }
    string_view t = text::trim(s);
    bool ordered = false;
    std::size_t marker = list_marker(t, &ordered);
    if (marker > 0 && (b.in_suggestions || b.in_similar)) {
      string_view item = text::trim(t.substr(marker));
      if (b.in_suggestions && !item.empty()) {
        b.task.suggestions.emplace_back(item);
        similar_from_suggestion(&b.task, item);
      }
      if (b.in_similar) add_similar(&b.task, path_value(item));
      return;
    }
    if (ordered) numbered_step(b, t.substr(marker));
    if (kv) handle_key_value(&b, *kv, number);
  }

  // A numbered step: its fences are commands to run, never content.
  static void numbered_step(Builder& b, string_view rest) {
    Context c;
    c.kind = Kind::kInstruction;
    string_view item = text::trim(rest);
    item = strip_decoration(item);
    if (!item.empty() && item.back() == ':') item.remove_suffix(1);
    item = strip_decoration(text::trim(item));
    c.label = string(item);
    b.label_ctx = c;
    b.promoted_file = -1;
  }

  const string_view doc_;
  const std::vector<SrcLine> lines_;
  const string& name_;
  const Unit category_;
  std::vector<PackTask> tasks_;
  std::optional<Builder> cur_;
  std::optional<FenceOpen> open_;
  int open_line_ = 0;
  string body_;
  Context fence_ctx_;
  int fence_file_ = -1;
};

}  // namespace

Result<std::vector<PackTask>> parse_category(std::string_view text_in, const std::string& name,
                                             Unit category) {
  TRY_VOID(text::require_utf8(text_in, name));
  // Offsets below are relative to the text without its BOM; line numbers are unaffected.
  return CategoryParser(text::strip_bom(text_in), name, category).run();
}

}  // namespace smartspec::pack
