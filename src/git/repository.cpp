// Repository: commits and refs (compare-and-swap). Trees: repository_trees.cpp,
// notes: repository_notes.cpp, attributes: repository_attributes.cpp.
#include <algorithm>
#include <map>
#include <set>

#include "git/internal.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::git {

using namespace detail;

// ---------------------------------------------------------------- commits

Result<Oid> Repository::resolve_commit(const std::string& rev) const {
  git_object* obj = nullptr;
  int rc = git_revparse_single(&obj, repo_, rev.c_str());
  if (rc != 0) return fail_git("unknown revision '" + rev + "'", rc, kNotFound);
  ObjectPtr owner(obj);
  git_object* peeled = nullptr;
  rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
  if (rc != 0) return fail_git("revision '" + rev + "' is not a commit", rc, kNotFound);
  ObjectPtr peeled_owner(peeled);
  return to_hex(*git_object_id(peeled));
}

Result<Oid> Repository::tree_of(const Oid& commit) const {
  CommitPtr c = lookup_commit(repo_, commit);
  if (!c) return bad_id("commit", commit);
  return to_hex(*git_commit_tree_id(c.get()));
}

Result<std::vector<Oid>> Repository::parents(const Oid& commit) const {
  CommitPtr c = lookup_commit(repo_, commit);
  if (!c) return bad_id("commit", commit);
  std::vector<Oid> out;
  for (unsigned i = 0; i < git_commit_parentcount(c.get()); ++i) {
    out.push_back(to_hex(*git_commit_parent_id(c.get(), i)));
  }
  return out;
}

Result<std::string> Repository::message(const Oid& commit) const {
  CommitPtr c = lookup_commit(repo_, commit);
  if (!c) return bad_id("commit", commit);
  const char* m = git_commit_message_raw(c.get());
  return std::string(m != nullptr ? m : "");
}

std::optional<std::string> Repository::head_branch() const {
  git_reference* head = nullptr;
  if (git_reference_lookup(&head, repo_, "HEAD") != 0) return std::nullopt;
  RefPtr owner(head);
  if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC) return std::nullopt;
  std::string target = git_reference_symbolic_target(head);
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo_, target.c_str()) != 0) return std::nullopt;  // unborn
  return target;
}

Result<Oid> Repository::create_commit(const Oid& tree, const std::vector<Oid>& parents,
                                      const std::string& message) {
  TreePtr t = tree_for(repo_, tree);
  if (!t) return bad_id("tree", tree);
  std::vector<CommitPtr> owners;
  std::vector<const git_commit*> ptrs;
  for (const Oid& p : parents) {
    CommitPtr c = lookup_commit(repo_, p);
    if (!c) return bad_id("parent commit", p);
    ptrs.push_back(c.get());
    owners.push_back(std::move(c));
  }
  Identity a = author();
  Identity c = committer();
  git_signature* as = nullptr;
  git_signature* cs = nullptr;
  int rc = git_signature_new(&as, a.name.c_str(), a.email.c_str(), a.time, a.offset_minutes);
  if (rc != 0) return fail_git("invalid author '" + a.name + " <" + a.email + ">'", rc);
  SignaturePtr as_owner(as);
  rc = git_signature_new(&cs, c.name.c_str(), c.email.c_str(), c.time, c.offset_minutes);
  if (rc != 0) return fail_git("invalid committer '" + c.name + " <" + c.email + ">'", rc);
  SignaturePtr cs_owner(cs);
  git_oid out;
  rc = git_commit_create(&out, repo_, nullptr, as, cs, nullptr, message.c_str(), t.get(),
                         ptrs.size(), ptrs.data());
  if (rc != 0) return fail_git("cannot create commit", rc);
  return to_hex(out);
}

// ---------------------------------------------------------------- refs

std::optional<Oid> Repository::read_ref(const std::string& name) const {
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo_, name.c_str()) != 0) return std::nullopt;
  return to_hex(oid);
}

Result<void> Repository::update_ref(const std::string& name, const Oid& target,
                                    const std::optional<Oid>& expected,
                                    const std::string& log_message) {
  auto oid = parse_oid(target);
  if (!oid) return fail("invalid object id '" + target + "' for " + name);
  const std::string moved = "ref " + name + " moved: expected " +
                            (expected ? *expected : std::string("no ref")) + ", found ";
  git_reference* ref = nullptr;
  int rc = 0;
  if (!expected) {
    // force = 0: fails with GIT_EEXISTS when the ref exists (checked under the ref lock).
    rc = git_reference_create(&ref, repo_, name.c_str(), &*oid, 0, log_message.c_str());
  } else {
    auto cur = parse_oid(*expected);
    if (!cur) return fail("invalid object id '" + *expected + "' for " + name);
    rc = git_reference_create_matching(&ref, repo_, name.c_str(), &*oid, 1, &*cur,
                                       log_message.c_str());
  }
  RefPtr owner(ref);
  if (rc == GIT_EEXISTS || rc == GIT_EMODIFIED || (rc == GIT_ENOTFOUND && expected)) {
    return fail_code(moved + read_ref(name).value_or("no ref"), kRefMoved);
  }
  if (rc != 0) return fail_git("cannot update " + name, rc);
  return {};
}

Result<void> Repository::delete_ref(const std::string& name, const std::optional<Oid>& expected) {
  git_reference* ref = nullptr;
  int rc = git_reference_lookup(&ref, repo_, name.c_str());
  if (rc == GIT_ENOTFOUND) {
    if (!expected) return {};
    return fail_code("ref " + name + " moved: expected " + *expected + ", found no ref", kRefMoved);
  }
  if (rc != 0) return fail_git("cannot read " + name, rc);
  RefPtr owner(ref);
  if (expected) {
    const git_oid* cur = git_reference_target(ref);
    std::string found = cur != nullptr ? to_hex(*cur) : std::string("a symbolic ref");
    if (found != *expected) {
      return fail_code("ref " + name + " moved: expected " + *expected + ", found " + found,
                       kRefMoved);
    }
  }
  // libgit2 deletes under the ref lock and checks the value it loaded.
  rc = git_reference_delete(ref);
  if (rc == GIT_EMODIFIED) {
    return fail_code("ref " + name + " moved: expected " + expected.value_or("any") + ", found " +
                         read_ref(name).value_or("no ref"),
                     kRefMoved);
  }
  if (rc != 0) return fail_git("cannot delete " + name, rc);
  return {};
}

std::vector<std::pair<std::string, Oid>> Repository::list_refs(const std::string& prefix) const {
  std::vector<std::pair<std::string, Oid>> out;
  git_reference_iterator* it = nullptr;
  const bool plain = prefix.find_first_of("*?[\\") == std::string::npos;
  int rc = plain ? git_reference_iterator_glob_new(&it, repo_, (prefix + "*").c_str())
                 : git_reference_iterator_new(&it, repo_);
  if (rc != 0) return out;
  RefIterPtr owner(it);
  git_reference* ref = nullptr;
  while (git_reference_next(&ref, it) == 0) {
    RefPtr r(ref);
    std::string name = git_reference_name(ref);
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    git_oid oid;
    if (git_reference_name_to_id(&oid, repo_, name.c_str()) != 0) continue;
    out.emplace_back(std::move(name), to_hex(oid));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace smartspec::git
