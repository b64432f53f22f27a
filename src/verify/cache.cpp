// The per-run cache of what the source says (see cache.hpp) and the deny rule.
#include "verify/cache.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <map>

#include "smartspec/util/text.hpp"
#include "verify/difflib.hpp"

namespace smartspec::verify {

namespace {

constexpr std::array<std::string_view, 3> kDenyPrefixes = {".env", "id_rsa", "id_ed25519"};

std::string join(const std::vector<std::string_view>& parts, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && i < parts.size(); ++i) {
    if (i != 0) out += '/';
    out += parts[i];
  }
  return out;
}

// A name that may reach the threshold: an upper bound of its ratio, its
// position in the listing, its record.
struct Candidate {
  double bound;
  std::size_t order;
  std::uint32_t rec;
};
// A name that reached it: its ratio.
struct Hit {
  double ratio;
  std::size_t order;
  std::uint32_t rec;
};

// An upper bound of the characters difflib can match between the target and a
// name, from the name's packed bytes.
class MatchBound {
 public:
  explicit MatchBound(const std::u32string& t) : size_(t.size()), use_lcs_(t.size() <= 64) {
    for (char32_t c : t) ++histogram_[c & 0xFF];
    // Bit-parallel LCS (Hyyrö) over the target's positions: the matching
    // blocks difflib finds form a common subsequence, so 2*LCS/T bounds the
    // ratio from above. Characters are bucketed by their low byte, which can
    // only make the LCS larger: still a bound.
    if (use_lcs_) {
      for (std::size_t i = 0; i < t.size(); ++i) positions_[t[i] & 0xFF] |= std::uint64_t{1} << i;
    }
    low_mask_ = size_ >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << size_) - 1);
  }

  [[nodiscard]] std::size_t operator()(const std::uint8_t* p, std::size_t len) const {
    std::size_t m = 0;
    if (use_lcs_) {
      std::uint64_t v = ~std::uint64_t{0};
      for (std::size_t k = 0; k < len; ++k) {
        std::uint64_t u = v & positions_[p[k]];
        v = (v + u) | (v - u);
      }
      m = static_cast<std::size_t>(__builtin_popcountll(~v & low_mask_));
    } else {  // a bucketed quick_ratio
      std::array<std::uint16_t, 256> left = histogram_;
      for (std::size_t k = 0; k < len; ++k) {
        if (left[p[k]] != 0) {
          --left[p[k]];
          ++m;
        }
      }
    }
    return m;
  }

 private:
  std::size_t size_;
  bool use_lcs_;
  std::array<std::uint16_t, 256> histogram_{};
  std::array<std::uint64_t, 256> positions_{};
  std::uint64_t low_mask_ = 0;
};

// The names of `pk` whose bound reaches `thr`, highest bound first (ties in
// listing order), in one sequential pass over the packed names.
std::vector<Candidate> candidates(const std::u32string& t, const Packed& pk, const Cache& cache,
                                  double thr) {
  const MatchBound matches(t);
  std::vector<Candidate> cands;
  const std::size_t n = pk.ids.size();
  for (std::size_t order = 0; order < n; ++order) {
    const std::uint8_t* p = pk.bytes.data() + pk.start[order];
    const std::size_t len = pk.start[order + 1] - pk.start[order];
    const auto total = static_cast<double>(t.size() + len);
    if (total == 0) continue;
    // difflib's real_quick_ratio: lengths alone.
    if (2.0 * static_cast<double>(std::min(t.size(), len)) / total < thr) continue;
    double bound = 2.0 * static_cast<double>(matches(p, len)) / total;
    if (bound < thr) continue;
    std::uint32_t id = pk.ids[order];
    if (cache.rec(id).name == t) continue;
    cands.push_back({bound, order, id});
  }
  std::stable_sort(cands.begin(), cands.end(),
                   [](const Candidate& a, const Candidate& b) { return a.bound > b.bound; });
  return cands;
}

// The best `max` names by exact ratio (at least `thr`), best first, ties in
// listing order; the exact ratio is computed only while a candidate's bound
// can still change the result.
std::vector<Hit> best_hits(const std::vector<Candidate>& cands, const std::u32string& t,
                           const Cache& cache, double thr, std::size_t max) {
  std::vector<Hit> hits;
  auto better = [](const Hit& a, const Hit& b) {
    return a.ratio != b.ratio ? a.ratio > b.ratio : a.order < b.order;
  };
  for (const Candidate& c : cands) {
    if (hits.size() >= max) {
      std::nth_element(hits.begin(), hits.begin() + static_cast<long>(max) - 1, hits.end(), better);
      hits.resize(max);
      double kth = std::min_element(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
                     return a.ratio < b.ratio;
                   })->ratio;
      if (c.bound < kth) break;
    }
    double r = difflib::ratio(t, cache.rec(c.rec).name);
    if (r >= thr) hits.push_back({r, c.order, c.rec});
  }
  std::sort(hits.begin(), hits.end(), better);
  if (hits.size() > max) hits.resize(max);
  return hits;
}

}  // namespace

// Components of a '/'-separated path, without empty and "." ones (as pathlib).
std::vector<std::string_view> components(std::string_view p) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t slash = p.find('/', start);
    if (slash == std::string_view::npos) slash = p.size();
    std::string_view c = p.substr(start, slash - start);
    if (!c.empty() && c != ".") out.push_back(c);
    start = slash + 1;
  }
  return out;
}

std::string normalize(std::string_view p) {
  auto parts = components(p);
  return join(parts, parts.size());
}

std::string parent_of(const std::string& norm) {
  std::size_t slash = norm.rfind('/');
  return slash == std::string::npos ? std::string() : norm.substr(0, slash);
}

std::string name_of(const std::string& norm) {
  std::size_t slash = norm.rfind('/');
  return slash == std::string::npos ? norm : norm.substr(slash + 1);
}

std::string child_of(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

bool is_denied(std::string_view rel) {
  auto parts = components(rel);
  for (auto p : parts) {
    if (std::find(kDenyDirs.begin(), kDenyDirs.end(), p) != kDenyDirs.end()) return true;
  }
  if (!parts.empty()) {
    for (auto prefix : kDenyPrefixes) {
      if (parts.back().substr(0, prefix.size()) == prefix) return true;
    }
  }
  return false;
}

FileSource::Kind Cache::kind(const std::string& norm) {
  auto it = kinds_.find(norm);
  if (it != kinds_.end()) return it->second;
  return kinds_[norm] = src_.kind(norm);
}

// _is_path_allowed(): the deny list on the path as Path.resolve() gives
// it (symlinks followed). By default relative to the repository; in
// Python-compat mode the root's own absolute components count too (under
// ~/.venv/proj every path is denied to the Python tool).
bool Cache::denied(const std::string& norm) {
  auto it = denied_.find(norm);
  if (it != denied_.end()) return it->second;
  return denied_[norm] = is_denied(src_.resolve(norm, opt_.python_compat));
}

// The same test for a file met while walking a directory, lexically.
bool Cache::denied_in_walk(const std::string& path) {
  if (!root_checked_) {
    root_checked_ = true;
    root_denied_ = false;
    if (opt_.python_compat) {
      std::string root = src_.resolve("", true);
      for (std::string_view d : kDenyDirs) {
        std::string needle = "/" + std::string(d) + "/";
        if ((root + "/").find(needle) != std::string::npos) root_denied_ = true;
      }
    }
  }
  return root_denied_ || is_denied(path);
}

const std::string& Cache::text(const std::string& norm) {
  auto it = texts_.find(norm);
  if (it != texts_.end()) return it->second;
  return texts_[norm] = read_text(norm);
}

// A directory scan's file: kept while the scans' texts stay under 64 MiB,
// so that many scans of one directory (one per task) read it once.
const std::string& Cache::scan_text(const std::string& norm) {
  auto it = texts_.find(norm);
  if (it != texts_.end()) return it->second;
  std::string txt = read_text(norm);
  if (scan_bytes_ + txt.size() <= (std::size_t{64} << 20)) {
    scan_bytes_ += txt.size();
    return texts_[norm] = std::move(txt);
  }
  scratch_ = std::move(txt);
  return scratch_;
}

std::string Cache::read_text(const std::string& norm) {
  auto bytes = src_.read(norm, opt_.max_read_bytes);
  return bytes ? text::decode_utf8_ignore(*bytes) : std::string();
}

// re.search(pattern, text, flags=re.MULTILINE) is not None; a pattern
// re rejects matches nothing (the Python tool catches re.error).
bool Cache::regex_matches(const std::string& pattern, const std::string& text) {
  auto it = regexes_.find(pattern);
  if (it == regexes_.end()) {
    it = regexes_.emplace(pattern, pyre::Regex::compile(pattern, pyre::kMultiline, nullptr)).first;
  }
  return it->second && it->second->search(text);
}

// Files beneath dir (recursively, .git excluded) in Python rglob order:
// a directory's files, then each subdirectory's, depth first.
const std::vector<std::uint32_t>& Cache::files_under(const std::string& dir) {
  auto it = subtree_.find(dir);
  if (it != subtree_.end()) return it->second;
  std::vector<std::uint32_t> out;
  const auto& entries = listing(dir);
  for (const auto& e : entries) {
    if (!e.dir) out.push_back(record(child_of(dir, e.name), e.name));
  }
  for (const auto& e : entries) {
    // .git is left out (a commit's tree has none; the Python tool offers
    // ".git/…" files as similar names) unless in Python-compat mode.
    if (!e.dir || (e.name == ".git" && !opt_.python_compat)) continue;
    const auto& sub = files_under(child_of(dir, e.name));
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return subtree_[dir] = std::move(out);
}

FileInfo Cache::file_info(const std::string& norm) {
  FileInfo fi;
  if (denied(norm)) return fi;
  auto k = kind(norm);
  if (k == FileSource::Kind::kFile) {
    fi.exists = true;
    fi.size = src_.size(norm);
    return fi;
  }
  if (k == FileSource::Kind::kDir) {
    fi.exists = true;
    return fi;
  }
  if (!opt_.verdicts_only) fi.similar = similar(norm);
  return fi;
}

// find_similar_files(): names under the target's directory (or its parent
// when that is missing) with ratio >= threshold, best first, ties in
// listing order. Candidates are ranked by an upper bound of the ratio
// (difflib's real_quick_ratio and a bucketed quick_ratio), so the exact
// ratio is computed only while it can still change the result.
std::vector<SimilarFile> Cache::similar(const std::string& norm) {
  std::string target = name_of(norm);
  std::string dir = parent_of(norm);
  if (kind(dir) == FileSource::Kind::kMissing) {
    dir = parent_of(dir);
    if (kind(dir) == FileSource::Kind::kMissing) return {};
  }
  std::string key = dir + '\0' + target;
  auto memo = similar_memo_.find(key);
  if (memo != similar_memo_.end()) return memo->second;

  const std::u32string t = difflib::code_points(target);
  const std::vector<Hit> hits = best_hits(candidates(t, packed(dir), *this, opt_.similar_threshold),
                                          t, *this, opt_.similar_threshold, opt_.max_similar);
  std::vector<SimilarFile> out;
  out.reserve(hits.size());
  for (const Hit& h : hits) out.push_back({files_[h.rec].path, h.ratio});
  similar_memo_.emplace(std::move(key), out);
  return out;
}

const Packed& Cache::packed(const std::string& dir) {
  auto it = packed_.find(dir);
  if (it != packed_.end()) return it->second;
  Packed pk;
  const auto& files = files_under(dir);
  pk.ids = files;
  pk.start.reserve(files.size() + 1);
  pk.start.push_back(0);
  for (std::uint32_t id : files) {
    for (char32_t c : files_[id].name) pk.bytes.push_back(static_cast<std::uint8_t>(c & 0xFF));
    pk.start.push_back(static_cast<std::uint32_t>(pk.bytes.size()));
  }
  return packed_[dir] = std::move(pk);
}

const std::vector<FileSource::Entry>& Cache::listing(const std::string& dir) {
  auto it = listings_.find(dir);
  if (it != listings_.end()) return it->second;
  return listings_[dir] = src_.list(dir);
}

std::uint32_t Cache::record(std::string path, const std::string& name) {
  auto it = index_.find(path);
  if (it != index_.end()) return it->second;
  FileRec r;
  r.name = difflib::code_points(name);
  r.path = path;
  auto idx = static_cast<std::uint32_t>(files_.size());
  files_.push_back(std::move(r));
  index_.emplace(std::move(path), idx);
  return idx;
}

}  // namespace smartspec::verify
