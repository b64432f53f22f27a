"""Random but well-formed SmartSpec verifier inputs, for scripts/differential.

make_case(seed, directory, n_tasks) writes <directory>/repo (the repository),
<directory>/outside (what symlinks out of the repository point at) and
<directory>/repo/tasks.md, and returns {task line number: "fix tags"}: the
deliberate differences listed in docs/verify.md each task exercises (a task whose
native default verdict differs from Python's is only explained by those).

Deterministic: everything comes from random.Random(seed); no clock, no set
iteration, files written in a fixed order. Python 3 standard library only.
"""

from __future__ import annotations

import os
import random

WORDS = ["item", "stock", "price", "audit", "report", "config", "user", "order", "cache",
         "service", "model", "util", "helper", "client", "parser"]
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00"
UNICODE_BITS = ["é", "ü", "ß", "日本", "Ωmega", "naïve", "٣", "Ⅻ", "İ", "ſ", "K"]


# ---- regexes: a grammar of Python `re` constructs --------------------------------------
# gen() returns (pattern, sample): sample is a string the pattern very likely
# matches, so files can be given it (or not).

def _lit(r: random.Random):
    c = r.choice(["a", "b", "x", "Z", "_", "1", "9", " ", "-", ".", "é", "ü", "日", "K", "(",
                  ")", "{", "}", "[", "]", "*", "+", "?", "|", "^", "$", "/", ":", "#", "'"])
    special = set(".^$*+?{}[]()|\\")
    if c in special:
        return "\\" + c, c
    return c, c


def _atom(r: random.Random, depth: int):
    k = r.randrange(30 if depth < 3 else 14)
    if k < 5:
        return _lit(r)
    if k == 5:
        return ".", r.choice(["a", "é", " ", "\r"])
    if k == 6:
        return r.choice([("\\d", "7"), ("\\d", "٣"), ("\\w", "é"), ("\\w", "_"), ("\\s", " "),
                         ("\\s", "\x1c"), ("\\D", "x"), ("\\W", "!"), ("\\S", "x"),
                         ("\\s", "\u3000")])
    if k == 7:
        return r.choice([("[a-z]", "q"), ("[^a-z]", "Q"), ("[[:alpha:]]", "a"),
                         ("[[:alpha:]]", ":]"), ("[]a]", "]"), ("[a-]", "-"), ("[\\d.]", "."),
                         ("[^\\s]", "x"), ("[\\S\\d]", "y"), ("[^\\Sa]", " "), ("[é-ü]", "ö"),
                         ("[\\w-]", "-"), ("[A-Z]", "k")])
    if k == 8:
        return r.choice([("^", ""), ("$", ""), ("\\A", ""), ("\\Z", ""), ("\\b", ""),
                         ("\\B", "")])
    if k == 9:
        return r.choice([("{", "{"), ("a{", "a{"), ("x{,2}", "xx"), ("b{}", "b{}"),
                         ("c{1,x}", "c{1,x}"), ("{2}", "")])
    if k == 10:
        return r.choice([("\\x41", "A"), ("\\u00e9", "é"), ("\\t", "\t"), ("\\0", "\0"),
                         ("\\101", "A"), ("\\.", "."), ("\\-", "-")])
    if k == 11:  # constructs Python rejects, or PCRE-only syntax
        return r.choice([("\\p{L}", "a"), ("\\z", ""), ("(?P>n)", ""), ("a**", "a"),
                         ("(", "("), ("\\h", " "), ("\\e", ""), ("(?<=a+)", ""),
                         ("\\Qa\\E", "a"), ("(?|a)", "a"), ("\\K", ""), ("[z-a]", "a"),
                         ("(?z)", ""), ("\\g<1>", ""), ("\\R", "\n"), ("\\x{41}", "A"),
                         ("(?<=a|bc)", ""), ("(?R)", ""), ("\\N{DASH}", "-")])
    if k == 12:
        return r.choice([("a", "a"), ("foo", "foo"), ("def ", "def "), ("class", "class")])
    if k == 13:
        return r.choice(UNICODE_BITS), ""  # literal from the unicode set; sample below
    sub_p, sub_s = gen_regex(r, depth + 1)
    kind = r.randrange(14)
    if kind == 0:
        return "(" + sub_p + ")", sub_s
    if kind == 1:
        return "(?:" + sub_p + ")", sub_s
    if kind == 2:
        return "(?P<g" + str(depth) + ">" + sub_p + ")(?P=g" + str(depth) + ")", sub_s + sub_s
    if kind == 3:
        return "(?=" + sub_p + ")", ""
    if kind == 4:
        return "(?!" + sub_p + ")", ""
    if kind == 5:
        lit_p, lit_s = _lit(r)
        return "(?<=" + lit_p + ")", ""
    if kind == 6:
        return "(?<!" + sub_p + ")", ""
    if kind == 7:
        return "(?i:" + sub_p + ")", sub_s.swapcase()
    if kind == 8:
        return "(?s:" + sub_p + ")", sub_s
    if kind == 9:
        return "(?-m:" + sub_p + ")", sub_s
    if kind == 10:
        alt_p, alt_s = gen_regex(r, depth + 1)
        return "(?:" + sub_p + "|" + alt_p + ")", r.choice([sub_s, alt_s])
    if kind == 11:
        return "(?>" + sub_p + ")", sub_s
    if kind == 12:
        return "(?a:" + sub_p + ")", sub_s
    return "(" + sub_p + ")?(?(" + str(1) + ")" + sub_p + "|x)", sub_s + sub_s


def _quantify(r: random.Random, p: str, s: str):
    k = r.randrange(12)
    if k < 6:
        return p, s
    q = r.choice(["*", "+", "?", "{2}", "{1,3}", "{,2}", "{2,}", "*?", "+?", "??", "*+", "{0}",
                  "{3,1}"])
    if p in ("^", "$", "\\A", "\\Z", "\\b", "\\B", ""):
        return p + q, s  # Python: "nothing to repeat"
    reps = {"*": 2, "+": 1, "?": 1, "{2}": 2, "{1,3}": 2, "{,2}": 1, "{2,}": 3, "*?": 1,
            "+?": 1, "??": 0, "*+": 2, "{0}": 0, "{3,1}": 1}[q]
    atom = p if len(p) == 1 or (p.startswith("\\") and len(p) == 2) or p.startswith("(") \
        or p.startswith("[") else "(?:" + p + ")"
    return atom + q, s * reps


def gen_regex(r: random.Random, depth: int = 0):
    parts_p, parts_s = [], []
    for _ in range(r.randint(1, 4 if depth == 0 else 2)):
        p, s = _atom(r, depth)
        if p in UNICODE_BITS:
            s = p if r.random() < 0.7 else p.upper()
        p, s = _quantify(r, p, s)
        parts_p.append(p)
        parts_s.append(s)
    p = "".join(parts_p)
    if depth == 0:
        flag = r.randrange(14)
        p = ["(?i)", "(?s)", "(?x)", "(?a)", "(?m)", "(?ai)", "x(?i)", "(?u)", "(?L)", "(?t)"][
            flag] + p if flag < 10 else p
    return p, "".join(parts_s)


# ---- files -------------------------------------------------------------------------------

def _eol_join(r: random.Random, lines, crlf: bool):
    return ("\r\n" if crlf else "\n").join(lines) + r.choice(["\n", "", "\r\n", "\n\n"])


def _text_file(r: random.Random, samples):
    lines = []
    for _ in range(r.randint(0, 6)):
        w = r.choice(WORDS)
        lines.append(r.choice([f"def {w}():", f"class {w.title()}:", f"    return {w}",
                               f"import {w}", f"# {w} {r.choice(UNICODE_BITS)}", f"{w} = {r.randint(0, 99)}",
                               f"## {w.title()}", f"<div id=\"{w}\"></div>", "", "   "]))
    for s in samples:
        if r.random() < 0.6:
            lines.insert(r.randint(0, len(lines)), s)
    return _eol_join(r, lines, r.random() < 0.3)


def _write(path: str, data: bytes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _encode(r: random.Random, text: str) -> bytes:
    k = r.randrange(10)
    if k == 0:
        return text.encode("cp1252", errors="replace")
    if k == 1:
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if k == 2:
        return text.encode("utf-8") + b"\xff\xfe tail"
    return text.encode("utf-8")


def _lstrip_py(p: str) -> str:
    return p.lstrip("./")


def _native_default(p: str):
    """The default (fixed) normalisation; None when the native reader refuses it."""
    if p.startswith("/"):
        return None
    while p.startswith("./"):
        p = p[2:].lstrip("/")
    return "" if p == "." else p


def _quote(r: random.Random, v: str) -> str:
    if v == "" or any(c in v for c in " \t\"'\\#$`"):
        if "'" not in v and r.random() < 0.5:
            return "'" + v + "'"
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    k = r.randrange(8)
    if k == 0:
        return '"' + v + '"'
    if k == 1 and "'" not in v:
        return "'" + v + "'"
    if k == 2:
        return '"\\"\'' + v + '\'\\""'  # quoted twice: Python strips a path's quotes twice
    return v


def make_case(seed: int, directory: str, n_tasks: int = 10):
    r = random.Random(seed)
    repo = os.path.join(directory, "repo")
    outside = os.path.join(directory, "outside")
    os.makedirs(repo)
    os.makedirs(outside)
    has_git = r.random() < 0.4
    files = {}  # repo-relative path -> bytes
    samples = []
    regexes = []
    for _ in range(n_tasks):
        p, s = gen_regex(r)
        regexes.append(p)
        samples.append(s)
    dirs = ["src", "src/app", "tests", "docs", "web", "lib", ".github/workflows", "node_modules/pkg",
            ".venv/lib", "__pycache__", ".spec", "src/" + r.choice(UNICODE_BITS)]
    for _ in range(r.randint(4, 14)):
        d = r.choices(dirs, [6, 3, 5, 2, 2, 2, 1, 1, 1, 1, 1, 1])[0]
        w = r.choice(WORDS)
        name = r.choice([f"{w}.py", f"test_{w}.py", f"{w}_service.py", f"{w}s.py", f"{w}.md",
                         f"{w}.html", ".env", ".env.local", "id_rsa", f".{w}rc", f"{w}.txt",
                         f"{w} file.py"])
        text = _text_file(r, r.sample(samples, min(3, len(samples))))
        files[f"{d}/{name}"] = _encode(r, text) if r.random() < 0.15 else text.encode("utf-8")
    files["README.md"] = b"# Project\n\n## Usage\n"
    if has_git:  # a .git directory without HEAD: not a repository, only names to find
        for name in ["description", "config.orig", "hooks/pre-commit.sample", "info/exclude",
                     "hooks/pre-push.sample"]:
            files[".git/" + name] = b"x\n"
    for path in sorted(files):
        _write(os.path.join(repo, path), files[path])
    if r.random() < 0.3:
        os.makedirs(os.path.join(repo, "empty"), exist_ok=True)
    # Symlinks: inside the repository, and out of it (all under ext/).
    links = []
    existing = sorted(files)
    has_out = r.random() < 0.35
    if r.random() < 0.5 and existing:
        target = r.choice(existing)
        link = "src/alias_" + os.path.basename(target)
        if not os.path.lexists(os.path.join(repo, link)):
            os.makedirs(os.path.join(repo, "src"), exist_ok=True)
            os.symlink(os.path.relpath(os.path.join(repo, target), os.path.join(repo, "src")),
                       os.path.join(repo, link))
            links.append(link)
    if r.random() < 0.3:
        os.symlink("src", os.path.join(repo, "srclink"))
    if has_out:
        _write(os.path.join(outside, "secret.py"), _text_file(r, samples[:2]).encode())
        os.makedirs(os.path.join(outside, "pkg"), exist_ok=True)
        _write(os.path.join(outside, "pkg", "mod.py"), b"def mod():\n    return 1\n")
        os.makedirs(os.path.join(repo, "ext"), exist_ok=True)
        os.symlink("../../outside/secret.py", os.path.join(repo, "ext", "secret.py"))
        os.symlink("../../outside/pkg", os.path.join(repo, "ext", "pkg"))

    # tasks.md
    lines = ["# Tasks", ""]
    tags = {}
    last_task = 0
    used_ids = []
    for i in range(n_tasks):
        tid = r.choice(["TSK-", "T", "A.", "x:"]) + str(r.randint(1, 40)) if r.random() < 0.9 \
            else r.choice(used_ids or ["T1"])
        used_ids.append(tid)
        box = r.choice(["[ ]", "[x]", "[X]", "[ ]", "[x]"])
        bullet = r.choice(["- ", "- ", "  - ", "-", "* ", "\t- "])
        title = r.choice(["", "Build " + r.choice(WORDS), r.choice(UNICODE_BITS) + " task",
                          "Title with  spaces  "])
        lines.append(f"{bullet}{box} {tid} {title}".rstrip() if r.random() < 0.9
                     else f"{bullet}{box} {tid}")
        task_line = len(lines)
        task_tags = []
        for _ in range(0 if r.random() < 0.08 else r.randint(1, 3)):
            etype = r.choices(["code", "test", "docs", "ui", "CODE", "binary"],
                              [40, 35, 10, 8, 4, 3])[0]
            base = etype.lower()
            kv = []
            # path
            k = r.randrange(23)
            if k < 12 and existing:
                path = r.choice(existing + links)
            elif k < 15:
                d = r.choice(["src", "tests", "docs", "src/app", "nowhere/deeper", "", "web"])
                w = r.choice(WORDS)
                path = (d + "/" if d else "") + r.choice([f"{w}.py", f"test_{w}.py", f"{w}_svc.py",
                                                         f"{w}.md", f"{w}z.py", "config.py",
                                                         "description", "pre-commit"])
            elif k == 15:
                path = r.choice(["src/", "tests/", "docs", "node_modules/", ".venv/", "src/app/",
                                 "", ".", "./", "web/", "empty/", "ext/", "ext/pkg/", "srclink/"])
            elif k == 16:
                path = r.choice([".github/workflows/ci.yml", "./.github/workflows", ".env",
                                 "./src/app", ".spec/x.py", "..hidden/x.py", "./.venv/lib"])
            elif k == 17:
                path = r.choice(["/src/app.py", "/etc/passwd", "/" + (existing[0] if existing else "x")])
            elif k == 18:
                path = r.choice(["../src/x.py", "src/../../x.py", "src/*.py", "src\\app\\x.py",
                                 "a/../b.py", "src/?.py"])
            elif k == 19:
                path = r.choice(["ext/secret.py", "ext/pkg/mod.py", "ext/pkg", "ext/missing.py"])
            else:
                path = r.choice(links + ["srclink/" + os.path.basename(r.choice(existing or ['x']))])
            norm = path.replace("\\", "/")
            if norm.startswith(".") or norm.startswith("/"):
                if _lstrip_py(norm) != _native_default(norm):
                    task_tags.append("path_normalisation")
            if has_out and (norm.startswith("ext") or not os.path.exists(os.path.join(repo, norm))
                            or norm.strip("./") in ("", "ext")):
                task_tags.append("symlink_out")
            if has_git and not os.path.isfile(os.path.join(repo, _lstrip_py(norm))):
                task_tags.append("git_similar")
            if norm.endswith("/") or norm in ("", ".", "docs", "ext/pkg", "srclink") or \
                    os.path.isdir(os.path.join(repo, _lstrip_py(norm))):
                task_tags.append("dir_order")
            if r.random() < 0.95:
                kv.append(("path", path))
            # other keys
            allowed = {"code": ["symbol", "contains", "regex"], "test": ["contains", "regex", "command"],
                       "docs": ["heading", "contains", "regex"], "ui": ["selector", "contains", "regex"],
                       "binary": ["contains"]}[base]
            keys = r.sample(allowed, r.randint(0, len(allowed)))
            if r.random() < 0.05:
                keys.append(r.choice(["bogus", "heading", "symbol"]))
            for key in keys:
                if key == "symbol":
                    v = r.choice([r.choice(WORDS).title(), r.choice(WORDS), "Directory", "",
                                  "Missing"])
                elif key == "contains":
                    sample = "".join(c for c in r.choice(samples) if c not in LINE_BREAKS)
                    v = r.choice([sample or "x", "def " + r.choice(WORDS),
                                  r.choice(WORDS), "", "nope nope", r.choice(UNICODE_BITS)])
                elif key == "regex":
                    v = regexes[i] if r.random() < 0.8 else r.choice(regexes)
                elif key == "heading":
                    v = r.choice([w.title() for w in WORDS] + ["Usage", "  Usage  ", ""])
                elif key == "selector":
                    v = r.choice(["#" + r.choice(WORDS), "div", ".x"])
                elif key == "command":
                    v = "pytest -q"
                else:
                    v = "1"
                kv.append((key, v))
            py_path = _lstrip_py(norm)
            content_keys = {"contains", "regex", "symbol", "heading", "selector"}
            if has_out and any(key in content_keys for key, _ in kv) and \
                    (py_path.startswith("ext") or py_path in ("", ".")):
                task_tags.append("reads_outside")  # Python reads it through a symlink; we never do
            r.shuffle(kv)
            payload = etype + "".join(" " + key + "=" + _quote(r, v) for key, v in kv)
            if r.random() < 0.04:
                payload += " stray"
            lead = r.choice(["  evidence: ", "    - evidence: ", "  Evidence:  ", "evidence: ",
                             "  EVIDENCE: "])
            lines.append(lead + payload)
            del base
        if bullet == "* ":  # not a task to either reader: its evidence joins the task above
            tags[last_task] = sorted(set(tags.get(last_task, []) + task_tags))
        else:
            tags[task_line] = sorted(set(task_tags))
            last_task = task_line
        if r.random() < 0.1:
            lines.append("")
            lines.append("Some prose line.")
    text = _eol_join(r, lines, r.random() < 0.2)
    data = _encode(r, text) if r.random() < 0.3 else text.encode("utf-8")
    if r.random() < 0.05:  # a BOM before a first-line task
        data = b"\xef\xbb\xbf" + text.split("\n", 2)[-1].encode("utf-8")
        tags = {k - 2: v for k, v in tags.items()}
        tags[1] = sorted(set(tags.get(1, []) + ["bom_first_line"]))
    _write(os.path.join(repo, "tasks.md"), data)
    return tags
