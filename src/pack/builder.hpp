// Task assembly of the category-file parser: one task's section as it is
// read (its files, fences and contexts) and the PackTask made of it, where
// each content fence is given to the file it belongs to. Private to the pack
// module.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pack/markdown.hpp"
#include "pack/vocabulary.hpp"

namespace smartspec::pack {

struct PendingFence {
  Fence fence;
  Kind kind = Kind::kNeutral;
  Hint role = Hint::kNone;
  int file_index = -1;  // a path line's own file (context promoted by a path)
};

struct Builder {
  PackTask task;
  bool old_shape = false;
  std::size_t header_index = 0;  // index into lines
  int level = 2;                 // heading level of the task header
  bool title_pending = false;
  Context heading_ctx;
  std::optional<Context> label_ctx;
  int promoted_file = -1;  // file whose path line set the current context
  int last_file = -1;      // most recent file named under the current heading
  bool in_suggestions = false;
  bool in_similar = false;
  std::vector<PendingFence> fences;

  [[nodiscard]] const Context& ctx() const { return label_ctx ? *label_ctx : heading_ctx; }
};

void add_similar(PackTask* t, std::string path);
// Candidate existing paths in a naming-issue suggestion: "Rename `a` to `b`"
// (a), "Found similar file: x", "Update evidence path to: x".
void similar_from_suggestion(PackTask* t, std::string_view s);
std::optional<bool> status_value(std::string_view v);
int add_file(Builder* b, std::string path, FileRole role, int line);
Hint hint_of(FileRole r);
// Handles "Path:", "File:", "Code file:", "Expected path:" ... lines.
bool handle_path(Builder* b, const KeyValue& kv, int line);
void handle_key_value(Builder* b, const KeyValue& kv, int line);
// Chooses the file a content fence belongs to: the nearest file above it with
// the role the context asks for (any role when it asks for none), else the
// first such file below it.
int claim(const PackTask& t, const PendingFence& pf);
PackTask finish(Builder* b, const std::vector<SrcLine>& lines, std::size_t end_index,
                std::string_view doc);

}  // namespace smartspec::pack
