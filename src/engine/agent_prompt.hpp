// What a coding agent is told (issue 18): the task's pack section, what
// "done" means (each evidence line spelled out), the files, the command that
// checks the task, the rules; and, when an attempt left the task unverified,
// what is still missing. Pure text: strings in, text out.
#pragma once

#include <string>
#include <vector>

#include "smartspec/model/model.hpp"
#include "smartspec/verify/verify.hpp"

namespace smartspec::engine {

struct PromptTask {
  std::string id;
  std::string title;
  std::string section;             // the task's markdown section from the pack, as written
  std::vector<Evidence> evidence;  // its accepted evidence lines in tasks.md
  std::vector<std::string> files;  // files the pack section, the plan or the evidence name
  std::string symbol;              // the pack's "Missing Symbol:" (may be empty)
  std::string contains;            // the pack's "Missing Content:" (may be empty)
};

struct PromptInput {
  std::string unit;
  std::string tasks_file;  // as the agent should name it (relative to the worktree when inside)
  std::string program;     // how the agent runs smartspec-batch (e.g. an absolute path)
  std::vector<PromptTask> tasks;
};

// One evidence line as a sentence: "file `src/a.py` must exist and define `Foo`".
std::string describe_evidence(const Evidence& e);

// What a failed check of the verifier still lacks, as a sentence:
// "`src/a.py` does not define `Foo`".
std::string describe_missing(const verify::EvidenceCheck& c);

// The command that checks one task: "<program> verify <tasks_file> --task <id>".
std::string verify_command(const PromptInput& in, const std::string& id);

// The prompt of a first attempt.
std::string build_agent_prompt(const PromptInput& in);

// What is still missing, per task id (tasks that verified have no entry).
struct Missing {
  std::string id;
  std::vector<std::string> lines;  // describe_missing of each failing check
};

// The prompt of attempt `attempt` (2 and on) of `attempts`: the first prompt,
// then "## What is still missing (attempt N of M)" with each missing line and
// the command to check again.
std::string build_retry_prompt(const PromptInput& in, int attempt, int attempts,
                               const std::vector<Missing>& missing);

}  // namespace smartspec::engine
