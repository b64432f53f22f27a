#!/usr/bin/env python3
"""Compiles a probe file with the exact flags the build uses for one module.

  compile_probe.py BUILD_DIR MODULE PROBE.cpp

Takes the compile command of one of MODULE's sources from BUILD_DIR's
compile_commands.json, puts PROBE.cpp in its place and runs it with
-fsyntax-only. Prints the compiler's output and exits with its status, so a
ctest can show that the build itself refuses a header the module does not
link (the per-module include roots of CMakeLists.txt), not only the
check-layering script.
"""
import json
import shlex
import subprocess
import sys
from pathlib import Path


def main() -> int:
    build, module, probe = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]).resolve()
    entries = json.loads((build / "compile_commands.json").read_text())
    marker = f"/src/{module}/"
    for e in entries:
        if marker in e["file"] and e["file"].endswith(".cpp"):
            break
    else:
        print(f"compile_probe: no source of module {module} in compile_commands.json")
        return 2
    argv = e["arguments"] if "arguments" in e else shlex.split(e["command"])
    out = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if a in ("-c", "-MD", "-MMD") or a == e["file"] or (a.endswith(".cpp") and Path(e["directory"], a).resolve() == Path(e["file"]).resolve()):
            continue
        out.append(a)
    # ccache in front of the compiler would cache nothing useful here.
    if Path(out[0]).name == "ccache":
        out = out[1:]
    out += ["-fsyntax-only", str(probe)]
    p = subprocess.run(out, cwd=e["directory"], capture_output=True, text=True)
    sys.stdout.write(p.stdout + p.stderr)
    print(f"compile_probe: {module}: exit {p.returncode}")
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
