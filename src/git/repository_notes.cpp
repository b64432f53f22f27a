// Repository: notes.
#include <algorithm>
#include <map>
#include <set>

#include "git/internal.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::git {

using namespace detail;

// ---------------------------------------------------------------- notes

namespace {
std::string notes_ref_name(const std::string& r) {
  return r.rfind("refs/", 0) == 0 ? r : "refs/notes/" + r;
}
}  // namespace

std::optional<std::string> Repository::read_note(const std::string& notes_ref,
                                                 const Oid& target) const {
  auto oid = parse_oid(target);
  if (!oid) return std::nullopt;
  git_note* note = nullptr;
  if (git_note_read(&note, repo_, notes_ref_name(notes_ref).c_str(), &*oid) != 0) {
    return std::nullopt;
  }
  NotePtr owner(note);
  const char* m = git_note_message(note);
  return std::string(m != nullptr ? m : "");
}

Result<void> Repository::set_note(const std::string& notes_ref, const Oid& target,
                                  const std::string& text) {
  const std::string ref = notes_ref_name(notes_ref);
  auto oid = parse_oid(target);
  if (!oid) return fail("invalid object id '" + target + "' for a note");
  Identity a = author();
  Identity c = committer();
  git_signature* as = nullptr;
  git_signature* cs = nullptr;
  int rc = git_signature_new(&as, a.name.c_str(), a.email.c_str(), a.time, a.offset_minutes);
  if (rc != 0) return fail_git("invalid author for note", rc);
  SignaturePtr as_owner(as);
  rc = git_signature_new(&cs, c.name.c_str(), c.email.c_str(), c.time, c.offset_minutes);
  if (rc != 0) return fail_git("invalid committer for note", rc);
  SignaturePtr cs_owner(cs);

  // git_note_create is last-writer-wins; build the notes commit on the tip we
  // read and move the ref by compare-and-swap, retrying when another writer won.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    std::optional<Oid> tip = read_ref(ref);
    CommitPtr parent;
    if (tip) {
      parent = lookup_commit(repo_, *tip);
      if (!parent) return fail(ref + " does not point at a commit");
    }
    git_oid commit_out;
    git_oid blob_out;
    rc = git_note_commit_create(&commit_out, &blob_out, repo_, parent.get(), as, cs, &*oid,
                                text.c_str(), 1);
    if (rc != 0) return fail_git("cannot create note on " + target, rc);
    // libgit2 words the notes commit "Notes added by 'git_note_create' from
    // libgit2"; `git log --all` readers should see what it is: same tree and
    // parent, this tool's message.
    CommitPtr made = lookup_commit(repo_, to_hex(commit_out));
    if (!made) return fail("cannot read the notes commit just made");
    git_tree* tree = nullptr;
    rc = git_commit_tree(&tree, made.get());
    if (rc != 0) return fail_git("cannot read the notes tree", rc);
    TreePtr tree_owner(tree);
    const git_commit* parents[1] = {parent.get()};
    const std::string message = "smartspec-batch: report note on " + target + "\n";
    rc = git_commit_create(&commit_out, repo_, nullptr, as, cs, nullptr, message.c_str(), tree,
                           parent ? 1 : 0, parents);
    if (rc != 0) return fail_git("cannot create the notes commit", rc);
    auto moved = update_ref(ref, to_hex(commit_out), tip, "smartspec-batch: note on " + target);
    if (moved || moved.error().code != kRefMoved || attempt == kAttempts) return moved;
  }
}

}  // namespace smartspec::git
