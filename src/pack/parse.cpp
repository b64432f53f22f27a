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

Result<std::vector<PackTask>> parse_category(std::string_view text_in, const std::string& name,
                                             Unit category) {
  TRY_VOID(text::require_utf8(text_in, name));
  // Offsets below are relative to the text without its BOM; line numbers are unaffected.
  const string_view doc = text::strip_bom(text_in);
  const std::vector<SrcLine> lines = lines_of(doc);

  std::vector<PackTask> tasks;
  std::optional<Builder> cur;
  std::optional<FenceOpen> open;
  int open_line = 0;
  string body;
  Context fence_ctx;
  int fence_file = -1;

  for (std::size_t i = 0; i < lines.size(); ++i) {
    const SrcLine& ln = lines[i];
    string_view s = ln.text;
    if (open) {
      if (closes(s, *open)) {
        if (cur) {
          PendingFence pf;
          pf.fence.info = string(open->info);
          std::size_t sp = 0;
          while (sp < open->info.size() && !is_space(open->info[sp])) ++sp;
          pf.fence.lang = text::to_lower(open->info.substr(0, sp));
          pf.fence.body = std::move(body);
          pf.fence.line = open_line;
          pf.fence.heading = fence_ctx.label;
          pf.kind = fence_ctx.kind;
          pf.role = fence_ctx.role;
          pf.file_index = fence_file;
          cur->fences.push_back(std::move(pf));
        }
        body.clear();
        open.reset();
      } else {
        body.append(strip_indent(s, open->indent));
        body.push_back('\n');
        if (cur) scan_artefacts(s, ln.number, name, &cur->task.artefacts);
      }
      continue;
    }
    if (auto fo = parse_fence_open(s)) {
      open = fo;
      open_line = ln.number;
      body.clear();
      if (cur) {
        cur->title_pending = false;
        fence_ctx = cur->ctx();
        fence_file = cur->label_ctx && cur->promoted_file >= 0 ? cur->promoted_file : -1;
        scan_artefacts(s, ln.number, name, &cur->task.artefacts);
      }
      continue;
    }
    // A heading that holds an unfilled placeholder is template debris, not structure.
    std::optional<Heading> h;
    if (!contains(s, "{{")) h = parse_heading(s);
    if (h) {
      if (auto th = parse_task_header(*h)) {
        if (cur) tasks.push_back(finish(&*cur, lines, i - 1, doc));
        cur.emplace();
        cur->task.id = std::move(th->id);
        cur->task.title = std::move(th->title);
        cur->task.category = category;
        cur->task.source = name;
        cur->task.line = ln.number;
        cur->task.number = th->number;
        cur->old_shape = !th->numbered;
        cur->header_index = i;
        cur->level = th->level;
        cur->title_pending = cur->task.title.empty();
        cur->heading_ctx.label = string(h->text);
        continue;
      }
      if (!cur) continue;
      const string n = normalize(h->text);
      if (ends_section(*h, n, cur->level)) {
        tasks.push_back(finish(&*cur, lines, i - 1, doc));
        cur.reset();
        continue;
      }
      cur->title_pending = false;
      cur->heading_ctx = classify(h->text, n, nullptr);
      cur->label_ctx.reset();
      cur->promoted_file = -1;
      cur->last_file = -1;
      cur->in_suggestions = contains(n, "suggestion");
      cur->in_similar = contains(n, "similar file");
      // "#### File: `src/a.py`" (the shape SmartSpec's own guides use): the
      // heading names the file whose content the fences under it are.
      if (auto kv = parse_key_value(h->text); kv && !path_value(kv->value).empty()) {
        handle_path(&*cur, *kv, ln.number);
      }
      continue;
    }
    if (!cur) continue;
    Builder& b = *cur;
    scan_artefacts(s, ln.number, name, &b.task.artefacts);
    if (blank(s)) continue;

    std::optional<KeyValue> kv = parse_key_value(s);
    if (b.title_pending) {
      if (!kv && !thematic_break(s) && !parse_label(s)) {
        bool ordered = false;
        string_view t = text::trim(s);
        if (list_marker(t, &ordered) == 0) {
          b.task.title = string(t);
          b.title_pending = false;
          continue;
        }
      }
    }
    if (auto label = parse_label(s)) {
      b.label_ctx = classify(*label, normalize(*label), &b.heading_ctx);
      if (b.label_ctx->kind == Kind::kNeutral && b.label_ctx->role == Hint::kNone &&
          !b.label_ctx->file_heading) {
        b.label_ctx.reset();  // "**Note:**" says nothing about what follows
      }
      b.promoted_file = -1;
      continue;
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
      continue;
    }
    if (ordered) {
      // A numbered step: its fences are commands to run, never content.
      Context c;
      c.kind = Kind::kInstruction;
      string_view item = text::trim(t.substr(marker));
      item = strip_decoration(item);
      if (!item.empty() && item.back() == ':') item.remove_suffix(1);
      item = strip_decoration(text::trim(item));
      c.label = string(item);
      b.label_ctx = c;
      b.promoted_file = -1;
    }
    if (kv) handle_key_value(&b, *kv, ln.number);
  }
  if (open) return fail(name, open_line, "unterminated code fence");
  if (cur) tasks.push_back(finish(&*cur, lines, lines.size() - 1, doc));
  return tasks;
}

}  // namespace smartspec::pack
