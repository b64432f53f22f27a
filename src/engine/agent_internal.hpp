// The pieces of one agent call (agent.cpp): what the agent did to the
// worktree and what must be refused or undone (agent_worktree.cpp), and the
// tasks' view of it — prompt input, evidence still missing, which task a file
// belongs to (agent_tasks.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/agent.hpp"
#include "engine/agent_prompt.hpp"
#include "smartspec/git/git.hpp"

namespace smartspec::engine::agent_detail {

using git::WorktreeChange;
using Status = git::WorktreeChange::Status;

constexpr std::uint32_t kModeFile = 0100644;
constexpr std::uint32_t kModeExec = 0100755;
constexpr std::uint32_t kModeLink = 0120000;

inline bool is_blob_mode(std::uint32_t m) { return m == kModeFile || m == kModeExec; }

// ---- agent_worktree.cpp
// A file name for prompt and log: the id, with anything unusual replaced.
std::string file_stem(std::string_view s);
// Length of the prefix of `rel` up to and including its first `.git`
// component (any case), or 0 when it has none.
std::size_t git_component_end(const std::string& rel);
bool looks_like_test(const std::string& rel);
bool looks_like_code(const std::string& rel);
// What `<worktree>/.git` holds; an agent must not change it.
std::string fingerprint(const std::string& path);
// Paths of special files (FIFOs, sockets, devices) in the worktree, with their kind.
std::vector<std::pair<std::string, std::string>> special_files(const std::string& root);

struct Refusal {
  std::string path;
  std::string message;
};
// The first thing the agent did that must not be committed.
std::optional<Refusal> find_refusal(
    const std::string& root, const std::vector<WorktreeChange>& ch,
    const std::vector<std::pair<std::string, std::string>>& specials);
// Removes root/rel (a whole directory too) when every ancestor is a real directory.
Result<void> remove_inside(const std::string& root, const std::string& rel);
// Puts the worktree back to the snapshot: the git link, then the rest.
Result<void> restore(AgentContext& ctx, const std::string& gitlink_before);

struct FileSets {
  std::vector<std::string> created, modified, deleted;
  std::vector<std::pair<std::string, std::string>> renamed;
};
// Pairs a deleted and a created file of identical (non-empty) content as a rename.
FileSets classify(const git::Repository& repo, const std::string& snapshot,
                  const std::vector<WorktreeChange>& changes);

// ---- agent_tasks.cpp
std::string join(const std::vector<std::string>& v, const std::string& sep);
PromptInput prompt_input(const AgentContext& ctx,
                         const std::vector<const plan::PlannedTask*>& tasks,
                         const std::string& tasks_file);
// What is still missing, per unverified task, on the worktree's files.
std::vector<Missing> still_missing(const AgentContext& ctx,
                                   const std::vector<const plan::PlannedTask*>& tasks);
// Paths the task names: its pack section's files and its evidence.
std::set<std::string> named_paths(const Inputs& in, const plan::PlannedTask& t);
// The role the pack (or the plan) gives `rel` for this task; kOther when none.
FileRole named_role(const Inputs& in, const plan::PlannedTask& t, const std::string& rel);
// The path's look, for files the task does not name.
FileRole guessed_role(const std::string& rel);

}  // namespace smartspec::engine::agent_detail
