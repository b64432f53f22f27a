#!/usr/bin/env python3
"""ctest: the generated man pages and shell completions list every subcommand and
every flag the binary's --help shows, and bash really completes them.

  check_docs.py BINARY GENERATED_DIR
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

binary, gen = sys.argv[1], Path(sys.argv[2])
PROG = "smartspec-batch"
failures = []


def helptext(*args):
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run([binary, *args, "--help"], capture_output=True, text=True,
                          env=env, check=True).stdout


def flags(text):
    out = set()
    for line in text.splitlines():
        m = re.match(r"^  (-\S+)", line)
        if m:
            for n in m.group(1).split(","):
                out.add(re.sub(r"\{[^}]*\}$", "", n))
    return out


def subcommands(text):
    part = text.split("Subcommands:", 1)[1] if "Subcommands:" in text else ""
    part = part.split("\n\n", 1)[0]  # the footer (exit codes) follows a blank line
    return [m.group(1) for m in re.finditer(r"^  (\w[\w-]*)\s", part, re.M)]


def bash_complete(words):
    script = (f"source {gen / 'completions' / (PROG + '.bash')}\n"
              f"COMP_WORDS=({' '.join(repr(w) if w else chr(39) * 2 for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\n"
              "_smartspec_batch\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True)
    if r.returncode != 0:
        failures.append(f"bash completion failed for {words}: {r.stderr.strip()}")
    return set(r.stdout.split())


top = helptext()
subs = subcommands(top)
if len(subs) < 5:
    failures.append(f"found only {subs} as subcommands in --help")
main_page = (gen / "man" / "man1" / f"{PROG}.1").read_text()
for s in subs:
    if f"\\fB{s}\\fR" not in main_page:
        failures.append(f"{PROG}.1 does not list subcommand {s}")
got = bash_complete([PROG, ""])
for s in subs:
    if s not in got:
        failures.append(f"bash: '{PROG} <TAB>' does not offer {s} (got {sorted(got)})")
checked = 0
for s in subs:
    page = gen / "man" / "man1" / f"{PROG}-{s}.1"
    if not page.is_file():
        failures.append(f"no man page {page.name}")
        continue
    roff = page.read_text()
    want = flags(helptext(s))
    offered = bash_complete([PROG, s, "-"])
    for f in sorted(want):
        checked += 1
        if "\\fB" + f.replace("-", "\\-") + "\\fR" not in roff:
            failures.append(f"{page.name} does not list {f}")
        if f.startswith("--") and f not in offered:
            failures.append(f"bash: '{PROG} {s} -<TAB>' does not offer {f}")
        zsh = (gen / "completions" / f"_{PROG}").read_text()
        fish = (gen / "completions" / f"{PROG}.fish").read_text()
        if f"'{f}[" not in zsh:
            failures.append(f"zsh completion lacks {s} {f}")
        fl = f"-l {f[2:]}" if f.startswith("--") else f"-s {f[1:]}"
        if f"__fish_seen_subcommand_from {s}' {fl}" not in fish:
            failures.append(f"fish completion lacks {s} {f}")
# The prefix narrows: 'ru' completes to run only.
if bash_complete([PROG, "ru"]) != {"run"}:
    failures.append("bash: 'ru<TAB>' does not complete to run alone")
# Shells that are installed check their scripts' syntax.
for shell, path in (("zsh", f"_{PROG}"), ("fish", f"{PROG}.fish")):
    if shutil.which(shell):
        r = subprocess.run([shell, "-n", str(gen / "completions" / path)], capture_output=True,
                           text=True)
        if r.returncode != 0:
            failures.append(f"{shell} -n {path}: {r.stderr.strip()}")
if shutil.which("man"):
    r = subprocess.run(["man", "-l", str(gen / "man" / "man1" / f"{PROG}-run.1")],
                       capture_output=True, text=True, env=dict(os.environ, MANWIDTH="100"))
    if r.returncode != 0 or "--prompts-dir" not in r.stdout:
        failures.append(f"man -l smartspec-batch-run.1 did not render (exit {r.returncode})")
for f in failures:
    print(f)
print(f"{checked + len(subs)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
