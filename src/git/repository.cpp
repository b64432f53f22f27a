// Repository: commits, refs (compare-and-swap), trees, notes, attributes.
#include <algorithm>
#include <map>
#include <set>

#include "git/internal.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::git {

using namespace detail;

namespace {

tl::unexpected<Error> bad_id(const std::string& what, const Oid& id) {
  return fail_code(what + " " + id + " does not exist", kNotFound);
}

}  // namespace

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

// ---------------------------------------------------------------- trees

Repository::Entry Repository::entry(const Oid& tree_or_commit, const std::string& path) const {
  Entry e;
  TreePtr tree = tree_for(repo_, tree_or_commit);
  if (!tree) return e;
  if (path.empty()) {
    e.kind = Kind::kDir;
    e.oid = to_hex(*git_tree_id(tree.get()));
    e.mode = GIT_FILEMODE_TREE;
    return e;
  }
  git_tree_entry* te = nullptr;
  if (git_tree_entry_bypath(&te, tree.get(), path.c_str()) != 0) return e;
  TreeEntryPtr owner(te);
  e.mode = static_cast<std::uint32_t>(git_tree_entry_filemode_raw(te));
  e.kind = kind_of(git_tree_entry_filemode(te));
  e.oid = to_hex(*git_tree_entry_id(te));
  return e;
}

std::optional<std::string> Repository::read_file(const Oid& tree_or_commit,
                                                 const std::string& path) const {
  Entry e = entry(tree_or_commit, path);
  if (e.kind != Kind::kFile && e.kind != Kind::kExecutable && e.kind != Kind::kSymlink) {
    return std::nullopt;
  }
  auto oid = parse_oid(e.oid);
  git_blob* blob = nullptr;
  if (!oid || git_blob_lookup(&blob, repo_, &*oid) != 0) return std::nullopt;
  BlobPtr owner(blob);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                     static_cast<std::size_t>(git_blob_rawsize(blob)));
}

namespace {

// Stores a blob. git_blob_create_from_buffer streams into a temporary file
// that it creates and deletes even when the object already exists; on ext4
// every deleted inode slows the allocation of the next ones for a minute or
// more. git_odb_write hashes first and writes nothing for a known object.
int put_blob(git_oid* out, git_repository* repo, std::string_view bytes) {
  git_odb* odb = nullptr;
  int rc = git_repository_odb(&odb, repo);
  if (rc != 0) return rc;
  rc = git_odb_write(out, odb, bytes.data(), bytes.size(), GIT_OBJECT_BLOB);
  git_odb_free(odb);
  return rc;
}

}  // namespace

Result<Oid> Repository::write_blob(std::string_view bytes) {
  git_oid oid;
  int rc = put_blob(&oid, repo_, bytes);
  if (rc != 0) return fail_git("cannot write blob", rc);
  return to_hex(oid);
}

Result<Oid> Repository::update_tree(const Oid& base_tree, const std::vector<Change>& changes) {
  TreePtr base;
  if (!base_tree.empty()) {
    base = tree_for(repo_, base_tree);
    if (!base) return bad_id("tree", base_tree);
  }
  // The last change of a path wins; git_tree_create_updated wants each path once.
  std::map<std::string, const Change*> by_path;
  for (const Change& c : changes) {
    if (c.path.empty() || c.path.front() == '/' || c.path.back() == '/' ||
        c.path.find("//") != std::string::npos) {
      return fail("invalid path '" + c.path + "' in tree update");
    }
    by_path[c.path] = &c;
  }
  // Mode of `path` in the base tree; 0 when absent.
  auto base_mode = [&](const std::string& path) -> git_filemode_t {
    git_tree_entry* te = nullptr;
    if (!base || git_tree_entry_bypath(&te, base.get(), path.c_str()) != 0) {
      return GIT_FILEMODE_UNREADABLE;
    }
    git_filemode_t mode = git_tree_entry_filemode(te);
    git_tree_entry_free(te);
    return mode;
  };
  // Two passes, because git_tree_create_updated refuses to change a file into
  // a directory or back ("D/F conflict"): first every removal, including base
  // entries an upsert replaces by the other kind, then the upserts.
  std::set<std::string> removals;
  std::vector<git_tree_update> upserts;
  for (const auto& [path, c] : by_path) {
    if (!c->content) {
      // Removing a path that is not there is a no-op (libgit2 would fail on it).
      if (base_mode(path) != GIT_FILEMODE_UNREADABLE) removals.insert(path);
      continue;
    }
    if (c->mode != GIT_FILEMODE_BLOB && c->mode != GIT_FILEMODE_BLOB_EXECUTABLE &&
        c->mode != GIT_FILEMODE_LINK) {
      return fail("invalid mode " + std::to_string(c->mode) + " for '" + path + "'");
    }
    git_tree_update u{};
    u.path = path.c_str();
    int rc = put_blob(&u.id, repo_, *c->content);
    if (rc != 0) return fail_git("cannot write blob for '" + path + "'", rc);
    u.action = GIT_TREE_UPDATE_UPSERT;
    u.filemode = static_cast<git_filemode_t>(c->mode);
    upserts.push_back(u);
    if (base_mode(path) == GIT_FILEMODE_TREE) removals.insert(path);
    for (std::size_t pos = path.find('/'); pos != std::string::npos;
         pos = path.find('/', pos + 1)) {
      const std::string prefix = path.substr(0, pos);
      const git_filemode_t mode = base_mode(prefix);
      if (mode == GIT_FILEMODE_UNREADABLE) break;
      if (mode != GIT_FILEMODE_TREE) {
        removals.insert(prefix);
        break;
      }
    }
  }
  // A path under another removed path is gone with it (removing it again fails).
  std::vector<git_tree_update> removes;
  for (const std::string& path : removals) {
    bool covered = false;
    for (std::size_t pos = path.find('/'); pos != std::string::npos && !covered;
         pos = path.find('/', pos + 1)) {
      covered = removals.count(path.substr(0, pos)) > 0;
    }
    if (covered) continue;
    git_tree_update u{};
    u.path = path.c_str();
    u.action = GIT_TREE_UPDATE_REMOVE;
    removes.push_back(u);
  }
  TreePtr middle;
  git_tree* start = base.get();
  git_oid out;
  if (!removes.empty()) {
    int rc = git_tree_create_updated(&out, repo_, start, removes.size(), removes.data());
    if (rc != 0) return fail_git("cannot build tree", rc);
    git_tree* t = nullptr;
    rc = git_tree_lookup(&t, repo_, &out);
    if (rc != 0) return fail_git("cannot read built tree", rc);
    middle.reset(t);
    start = t;
  }
  int rc = git_tree_create_updated(&out, repo_, start, upserts.size(), upserts.data());
  if (rc != 0) return fail_git("cannot build tree", rc);
  return to_hex(out);
}

Result<std::vector<std::string>> Repository::changed_paths(const Oid& tree_a,
                                                           const Oid& tree_b) const {
  TreePtr a;
  TreePtr b;
  if (!tree_a.empty() && !(a = tree_for(repo_, tree_a))) return bad_id("tree", tree_a);
  if (!tree_b.empty() && !(b = tree_for(repo_, tree_b))) return bad_id("tree", tree_b);
  git_diff_options opts;
  git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
  git_diff* diff = nullptr;
  int rc = git_diff_tree_to_tree(&diff, repo_, a.get(), b.get(), &opts);
  if (rc != 0) return fail_git("cannot compare trees", rc);
  DiffPtr owner(diff);
  std::set<std::string> paths;
  for (std::size_t i = 0; i < git_diff_num_deltas(diff); ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff, i);
    if (d->old_file.path != nullptr) paths.insert(d->old_file.path);
    if (d->new_file.path != nullptr) paths.insert(d->new_file.path);
  }
  return std::vector<std::string>(paths.begin(), paths.end());
}

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

// ---------------------------------------------------------------- hashing, attributes

Oid Repository::hash(std::string_view bytes) {
  ensure_init();
  git_oid oid;
  git_odb_hash(&oid, bytes.data(), bytes.size(), GIT_OBJECT_BLOB);
  return to_hex(oid);
}

namespace {

// Attribute `name` for `path`, read from the .gitattributes files of `commit`
// (plus $GIT_DIR/info/attributes and the system file, as git does), never
// from the user's working tree or index. For a tree id (no commit to name),
// the working tree's attributes are used.
std::optional<std::string> attr(git_repository* repo, const Oid& tree_or_commit,
                                const std::string& path, const char* name, bool* set, bool* unset) {
  git_attr_options opts{};  // GIT_ATTR_OPTIONS_INIT trips -Wmissing-field-initializers
  opts.version = GIT_ATTR_OPTIONS_VERSION;
  CommitPtr commit = lookup_commit(repo, tree_or_commit);
  if (commit) {
    // Check mode 3 selects neither file nor index in 1.5.1's source selection;
    // INCLUDE_COMMIT then makes the commit the only .gitattributes source.
    opts.flags = 3 | GIT_ATTR_CHECK_INCLUDE_COMMIT;
    git_oid_cpy(&opts.attr_commit_id, git_commit_id(commit.get()));
  } else {
    opts.flags = GIT_ATTR_CHECK_FILE_THEN_INDEX;
  }
  const char* value = nullptr;
  if (git_attr_get_ext(&value, repo, &opts, path.c_str(), name) != 0) return std::nullopt;
  switch (git_attr_value(value)) {
    case GIT_ATTR_VALUE_TRUE:
      *set = true;
      return std::nullopt;
    case GIT_ATTR_VALUE_FALSE:
      *unset = true;
      return std::nullopt;
    case GIT_ATTR_VALUE_STRING:
      return std::string(value);
    default:
      return std::nullopt;
  }
}

std::string config_string(git_repository* repo, const char* key) {
  git_config* cfg = nullptr;
  if (git_repository_config_snapshot(&cfg, repo) != 0) return {};
  ConfigPtr owner(cfg);
  git_buf buf = GIT_BUF_INIT;
  std::string out;
  if (git_config_get_string_buf(&buf, cfg, key) == 0) out.assign(buf.ptr, buf.size);
  git_buf_dispose(&buf);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

}  // namespace

std::string Repository::checkout_eol(const Oid& tree_or_commit, const std::string& path) const {
  // git's convert.c: -text → no conversion; eol=crlf/lf decides for text files;
  // otherwise core.autocrlf (true → CRLF, input → LF) and then core.eol.
  bool text_set = false;
  bool text_unset = false;
  std::optional<std::string> text =
      attr(repo_, tree_or_commit, path, "text", &text_set, &text_unset);
  if (text_unset) return "\n";
  bool eol_set = false;
  bool eol_unset = false;
  std::optional<std::string> eol = attr(repo_, tree_or_commit, path, "eol", &eol_set, &eol_unset);
  if (eol == "crlf") return "\r\n";
  if (eol == "lf") return "\n";
  const std::string autocrlf = config_string(repo_, "core.autocrlf");
  if (autocrlf == "true" || autocrlf == "yes" || autocrlf == "on" || autocrlf == "1") {
    return "\r\n";
  }
  if (autocrlf == "input") return "\n";
  const bool is_text = text_set || text.has_value();
  if (is_text && config_string(repo_, "core.eol") == "crlf") return "\r\n";
  return "\n";
}

std::string Repository::to_odb(const Oid& commit, const std::string& path,
                               std::string bytes) const {
  if (bytes.find('\r') == std::string::npos) return bytes;
  // git's convert.c: -text → as is; text or eol set → text; text=auto, or no
  // text attribute with core.autocrlf true/input → text when it looks like it.
  bool text_set = false;
  bool text_unset = false;
  std::optional<std::string> text = attr(repo_, commit, path, "text", &text_set, &text_unset);
  if (text_unset) return bytes;
  bool eol_set = false;
  bool eol_unset = false;
  std::optional<std::string> eol = attr(repo_, commit, path, "eol", &eol_set, &eol_unset);
  bool automatic = false;
  if (text == "auto") {
    automatic = true;
  } else if (!text_set && !text && !eol) {
    const std::string autocrlf = config_string(repo_, "core.autocrlf");
    if (autocrlf == "false" || autocrlf == "no" || autocrlf == "off" || autocrlf == "0" ||
        autocrlf.empty()) {
      return bytes;
    }
    automatic = true;
  }
  if (automatic) {
    // Binary by git's heuristics (convert_is_binary) stays as is: a NUL, a
    // lone CR, or more than one control byte per 128 printable ones.
    std::size_t printable = 0;
    std::size_t nonprintable = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      const auto c = static_cast<unsigned char>(bytes[i]);
      if (c == '\r') {
        if (i + 1 == bytes.size() || bytes[i + 1] != '\n') return bytes;
      } else if (c == '\n') {
      } else if (c == 0) {
        return bytes;
      } else if (c == 127 || (c < 32 && c != '\b' && c != '\t' && c != 033 && c != 014)) {
        ++nonprintable;
      } else {
        ++printable;
      }
    }
    if ((printable >> 7) < nonprintable) return bytes;
    // "safe" autocrlf: a file stored with CRs keeps them.
    Entry old = entry(commit, path);
    if (old.kind == Kind::kFile || old.kind == Kind::kExecutable) {
      auto stored = read_file(commit, path);
      if (stored && stored->find('\r') != std::string::npos) return bytes;
    }
  }
  return text::crlf_to_lf(bytes);
}

bool Repository::is_lfs(const Oid& tree_or_commit, const std::string& path) const {
  bool set = false;
  bool unset = false;
  return attr(repo_, tree_or_commit, path, "filter", &set, &unset) == "lfs";
}

}  // namespace smartspec::git
