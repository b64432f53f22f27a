// The command line of a run, and --resume's merge of the recorded options
// with those given (run_internal.hpp).
#include <algorithm>
#include <map>
#include <string_view>

#include "engine/run_internal.hpp"

namespace smartspec::engine {

namespace {

std::string quote(std::string_view s) {
  auto safe = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-./:@%+=,").find(c) != std::string_view::npos;
  };
  if (!s.empty() && std::all_of(s.begin(), s.end(), safe)) return std::string(s);
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}

}  // namespace

// The command that reproduces a run: its inputs and every option that shapes
// it and is not the default (what `--resume` restores).
std::string command_line(const RunOptions& o, const std::string& run_id) {
  std::string cmd = "smartspec-batch run --prompts-dir " + quote(o.prompts_dir);
  if (!o.tasks.empty()) cmd += " --tasks " + quote(o.tasks);
  std::string_view dir = o.prompts_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  std::size_t slash = dir.rfind('/');
  std::string_view base = slash == std::string_view::npos ? dir : dir.substr(slash + 1);
  if (base != run_id) cmd += " --run-id " + quote(run_id);
  const RunOptions d;
  if (!o.only_categories.empty()) cmd += " --only-category " + quote(join(o.only_categories, ","));
  if (!o.skip_categories.empty()) cmd += " --skip-category " + quote(join(o.skip_categories, ","));
  if (!o.agent.empty()) cmd += " --agent " + quote(o.agent);
  if (o.agent_timeout != d.agent_timeout)
    cmd += " --agent-timeout " + std::to_string(o.agent_timeout);
  if (o.agent_attempts != d.agent_attempts)
    cmd += " --agent-attempts " + std::to_string(o.agent_attempts);
  if (o.agent_per != d.agent_per) cmd += " --agent-per " + quote(o.agent_per);
  if (o.jobs != d.jobs) cmd += " --jobs " + std::to_string(o.jobs);
  if (o.from_shards) cmd += " --from-shards";
  if (o.agent_sandbox) cmd += " --agent-sandbox";
  for (const auto& w : o.agent_writable) cmd += " --agent-writable " + quote(w);
  if (!o.verify_cmd.empty()) cmd += " --verify-cmd " + quote(o.verify_cmd);
  if (o.max_failures != d.max_failures) cmd += " --max-failures " + std::to_string(o.max_failures);
  if (o.verify_after_each) cmd += " --verify-after-each";
  if (!o.verify_at_end) cmd += " --no-verify-at-end";
  if (o.overwrite) cmd += " --overwrite";
  if (!o.evidence_hooks) cmd += " --no-evidence-hooks";
  if (o.mark_done) cmd += " --mark-done";
  if (o.apply_skeletons) cmd += " --apply-skeletons";
  for (const auto& [ext, c] : o.checks) cmd += " --check " + quote(ext + "=" + c);
  if (o.run_hooks) cmd += " --run-hooks";
  if (o.checkpoint) cmd += " --checkpoint";
  if (o.land) cmd += " --land";
  if (o.rename_files) cmd += " --rename-files";
  return cmd;
}

// --resume: the run's recorded options, with those given on the command line
// where they agree (or with --force); a given option that differs is an error.
Result<RunOptions> merge_resume_options(const RunOptions& cli, const RunOptions& saved,
                                        const std::string& run_id) {
  RunOptions out = cli;
  std::vector<std::string> conflicts;
  auto take = [&](const char* name, auto RunOptions::*field, auto show) {
    if (!cli.given.count(name)) {
      out.*field = saved.*field;
    } else if (!(cli.*field == saved.*field)) {
      conflicts.push_back(std::string(name) + " " + show(cli.*field) + " (the run has " +
                          show(saved.*field) + ")");
    }
  };
  auto str = [](const std::string& v) { return v.empty() ? std::string("''") : quote(v); };
  auto num = [](int v) { return std::to_string(v); };
  auto flag = [](bool v) { return std::string(v ? "on" : "off"); };
  auto list = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string("none") : join(v, ",");
  };
  auto checks = [](const std::map<std::string, std::string>& m) {
    std::vector<std::string> v;
    for (const auto& [e, c] : m) v.push_back(e + "=" + c);
    return v.empty() ? std::string("none") : quote(join(v, " "));
  };
  take("--only-category", &RunOptions::only_categories, list);
  take("--skip-category", &RunOptions::skip_categories, list);
  take("--agent", &RunOptions::agent, str);
  take("--agent-timeout", &RunOptions::agent_timeout, num);
  take("--agent-attempts", &RunOptions::agent_attempts, num);
  take("--agent-per", &RunOptions::agent_per, str);
  take("--jobs", &RunOptions::jobs, num);
  take("--from-shards", &RunOptions::from_shards, flag);
  take("--agent-sandbox", &RunOptions::agent_sandbox, flag);
  take("--agent-writable", &RunOptions::agent_writable, list);
  take("--verify-cmd", &RunOptions::verify_cmd, str);
  take("--max-failures", &RunOptions::max_failures, num);
  take("--verify-after-each", &RunOptions::verify_after_each, flag);
  take("--verify-at-end", &RunOptions::verify_at_end, flag);
  take("--overwrite", &RunOptions::overwrite, flag);
  take("--no-evidence-hooks", &RunOptions::evidence_hooks, flag);
  take("--mark-done", &RunOptions::mark_done, flag);
  take("--apply-skeletons", &RunOptions::apply_skeletons, flag);
  take("--check", &RunOptions::checks, checks);
  take("--run-hooks", &RunOptions::run_hooks, flag);
  take("--checkpoint", &RunOptions::checkpoint, flag);
  take("--land", &RunOptions::land, flag);
  take("--rename-files", &RunOptions::rename_files, flag);
  if (!conflicts.empty() && !cli.force) {
    return fail(
        Error{{},
              0,
              "--resume: " + join(conflicts, "; ") + " differs from run " + run_id +
                  "; leave it out to continue the run as it started, or add --force to change it"});
  }
  return out;
}

}  // namespace smartspec::engine
