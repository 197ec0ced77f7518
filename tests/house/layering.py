#!/usr/bin/env python3
"""tests/house/layering.py — the house rules of cong, checked on a source tree (ctest house/layering).

  layering.py --root SRC [--build BUILD] [--dot FILE] [--allow DIR] [--checks includes,probe,cycles,sizes]

Four checks, each failing (exit 1) on a violation that its allow-list does not name:
  includes  every #include follows the rooms table (/work/shared/ARCHITECTURE.md, RULES below); inside the host, a
            file of one room includes another room only through its contract header (CONTRACTS) and only a room
            it may use (HOST_ROOM_USES);
  probe     with exactly the include flags CMake gives modules/ (BUILD/compile_commands.json), a file including a
            header of another room does not compile and one including <cong/module.h> does; no include folder of
            theirs lies in the tree outside include/;
  cycles    no two library targets link each other, directly or round a longer loop (`cmake --graphviz` of a fresh
            configure of SRC, or --dot FILE);
  sizes     no file of gateway/ over MAX_LINES lines.
A program is a folder built as its own executable, never loaded into cong: a CMakeLists.part.cmake in it calls
add_executable (today modules/procedures/portal_sync/ and push/relay/). The relays' blocking runtime
(common/relay_runtime/, RUNTIME_HEADER) is included by programs only, and a module's own program
(modules/<name>/<program>/) may include it besides cong/*.h: with include/ and that folder on its path alone.
The allow-lists (DIR, default tests/house/allow/) hold today's known exceptions, one per line, each with a comment
saying who removes it: a listed exception that no longer occurs fails too, so a list only ever shrinks. The checker
checks itself on small fake trees (test_layering.py, ctest house/checker).
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

MAX_LINES = 550
SOURCE_SUFFIXES = (".c", ".h")
# C17's standard headers: all that include/cong/ may include (the public ABI depends on libc alone).
LIBC_HEADERS = set(
    "assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h locale.h math.h setjmp.h "
    "signal.h stdalign.h stdarg.h stdatomic.h stdbool.h stddef.h stdint.h stdio.h stdlib.h stdnoreturn.h string.h "
    "tgmath.h threads.h time.h uchar.h wchar.h wctype.h".split())
PUBLIC_ABI = "include/cong/module.h"  # the module ABI itself: the host implements it, the rooms below do not see it
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
# The headers of other rooms that the probe tries to include with the modules' flags (each must fail).
PROBE_FORBIDDEN = ["gateway/gateway.h", "auth/auth.h", "common/log.h", "push/push.h"]
# The blocking runtime of the out-of-process relays: its own library, never linked into cong; programs alone include
# it (a module's own program by its bare name, with this folder on its include path).
RUNTIME_DIR = "common/relay_runtime"
RUNTIME_HEADER = RUNTIME_DIR + "/relay_runtime.h"
PROGRAM_CMAKE = "CMakeLists.part.cmake"


def room_of(path):
    """The room of a path relative to the root ("module:procedures", "host"...), or None outside the rooms."""
    parts = path.split("/")
    if parts[0] == "include" and len(parts) > 1 and parts[1] == "cong":
        return "public"
    if parts[0] in ("modules", "examples") and len(parts) > 2:
        return ("module:" if parts[0] == "modules" else "example:") + parts[1]
    return {"common": "common", "auth": "auth", "push": "push", "gateway": "host"}.get(parts[0])


# Who may include whom, for the rooms under the host: (rooms allowed, the rule as the failure states it). None of them
# includes the module ABI itself (PUBLIC_ABI): the codes they share are in the small public headers (cong/errors.h).
RULES = {
    "public": ({"public"}, "include/cong/ includes include/cong/ and libc only"),
    "common": ({"common", "public"}, "common/ includes common/ and cong/*.h other than module.h"),
    "auth": ({"auth", "common", "public"}, "auth/ includes auth/, common/ and cong/*.h other than module.h"),
    "push": ({"push", "common", "auth", "public"},
             "push/ includes push/, auth/, common/ and cong/*.h other than module.h"),
}


def program_folders(root):
    """The folders (relative to the root) built as their own executable: modules/<name>/<program>/ and push/<program>/
    whose CMakeLists.part.cmake calls add_executable."""
    found = set()
    for pattern in (("modules", 2), ("push", 1)):
        top, depth = pattern
        for folder, dirs, files in os.walk(os.path.join(root, top)):
            rel = os.path.relpath(folder, root)
            if len(rel.split("/")) - 1 == depth and PROGRAM_CMAKE in files:
                with open(os.path.join(folder, PROGRAM_CMAKE), encoding="utf-8", errors="replace") as f:
                    if re.search(r"^\s*add_executable\s*\(", f.read(), re.M):
                        found.add(rel)
            if len(rel.split("/")) - 1 >= depth:
                dirs[:] = []
    return found


def in_program(src, programs):
    return any(src.startswith(p + "/") for p in programs)


def include_allowed(src, src_room, target, target_room, programs=frozenset()):
    """None when `src` may include `target` (paths relative to the root), else the rule it breaks."""
    if target.startswith(RUNTIME_DIR + "/") and not src.startswith(RUNTIME_DIR + "/"):
        if not in_program(src, programs):
            return "only a program (a folder built as its own executable) includes the relays' blocking runtime"
        if src_room.startswith("module:"):
            return None if target == RUNTIME_HEADER else f"a module's own program includes {RUNTIME_HEADER} alone " \
                "of the runtime"
    if src_room.startswith(("module:", "example:")):
        if target_room in ("public", src_room):
            return None
        return "a module includes cong/*.h and its own folder only (its own program also " + RUNTIME_HEADER + ")"
    if src_room == "host":
        if target_room is not None and target_room.startswith(("module:", "example:")):
            if src.startswith("gateway/host/builtin_modules.") and target_room.startswith("module:"):
                return None  # the built-in table declares the modules' entry points
            return "the host includes no module (only gateway/host/builtin_modules.* names their entry points)"
        return None
    allowed, rule = RULES[src_room]
    if target_room not in allowed or (src_room != "public" and target == PUBLIC_ABI):
        return rule
    return None


# The host's rooms (gateway/<room>/, the process in gateway/ itself, common/ beside them), each with the one header that
# states its contract: a file of gateway/ or auth/ that includes a header of another room includes that header only.
CONTRACTS = {
    "process": "gateway/gateway.h", "http": "gateway/http/http.h", "authn": "gateway/authn/authn.h",
    "limits": "gateway/limits/limits.h", "stores": "gateway/stores/stores.h", "host": "gateway/host/host.h",
    "outbound": "gateway/outbound/outbound.h", "config": "gateway/config/config.h", "common": "common/common.h",
    "upstream": "gateway/upstream/upstream.h",
}
# Which rooms of the host each may include (its own always): the direction among rooms, as their contracts state it.
# http/server.c puts a worker together, so http/ reaches every room; stores/, config/ and outbound/ sit under host/,
# authn/ and limits/.
HOST_ROOM_USES = {
    "process": set(CONTRACTS),
    "http": set(CONTRACTS),
    "host": set(CONTRACTS),
    "authn": {"process", "http", "limits", "stores", "config", "common"},
    "limits": {"process", "http", "config", "common"},
    "outbound": {"process", "http", "common"},
    "upstream": {"process", "http", "outbound", "limits", "config", "common"},
    "stores": {"http", "common"},
    "config": {"common"},
    "common": {"common"},
}


def host_room_of(path):
    """The host room of a path ("http", "process", "common"...), or None for a file outside gateway/ and common/."""
    parts = path.split("/")
    if parts[0] == "common":
        return "common"
    if parts[0] != "gateway":
        return None
    return parts[1] if len(parts) > 2 else "process"


def contract_include_allowed(src, target):
    """None when `src` (of gateway/ or auth/) may include `target` as far as the rooms' contracts go, else why not."""
    src_room, target_room = host_room_of(src), host_room_of(target)
    if target_room is None or target_room not in CONTRACTS or src_room == target_room:
        return None
    if src.split("/")[0] not in ("gateway", "auth"):
        return None
    if src_room in HOST_ROOM_USES and target_room not in HOST_ROOM_USES[src_room]:
        return f"{src_room}/ may not use {target_room}/ (see {CONTRACTS[src_room]})"
    if target != CONTRACTS[target_room]:
        return f"another room includes {target_room}/ through its contract header {CONTRACTS[target_room]} only"
    return None


def resolve(root, src, quoted, name):
    """The tree file an include names (relative to the root), as the compiler would find it with the include folder
    and the root on its path; None for a header outside the tree (system, libraries)."""
    candidates = [os.path.join(os.path.dirname(src), name)] if quoted else []
    candidates += [os.path.join("include", name), name, os.path.join(RUNTIME_DIR, name)]
    for c in candidates:
        c = os.path.normpath(c)
        if not c.startswith("..") and os.path.isfile(os.path.join(root, c)):
            return c
    return None


def source_files(root, top):
    for folder, dirs, files in os.walk(os.path.join(root, top)):
        dirs[:] = sorted(d for d in dirs if not d.startswith(("build", ".")))
        for f in sorted(files):
            if f.endswith(SOURCE_SUFFIXES):
                yield os.path.relpath(os.path.join(folder, f), root)


def check_includes(root):
    """Violations as "SRC -> TARGET" keys with a reason."""
    found = {}
    programs = program_folders(root)
    for top in ("include", "modules", "examples", "common", "auth", "push", "gateway"):
        for src in source_files(root, top):
            src_room = room_of(src)
            if src_room is None:
                continue
            with open(os.path.join(root, src), encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = INCLUDE_RE.match(line)
                    if not m:
                        continue
                    quoted, name = m.group(1) == '"', m.group(2)
                    target = resolve(root, src, quoted, name)
                    if target is None:
                        if src_room == "public" and name not in LIBC_HEADERS:
                            found[f"{src} -> {name}"] = "include/cong/ includes include/cong/ and libc only"
                        continue
                    why = include_allowed(src, src_room, target, room_of(target), programs) or \
                        contract_include_allowed(src, target)
                    if why:
                        found[f"{src} -> {target}"] = why
    return found


def include_flags(command):
    """The include-path flags of a compile command, in order (-I, -isystem, -iquote, -idirafter, -nostdinc)."""
    args = shlex.split(command)
    flags, i = [], 0
    while i < len(args):
        a = args[i]
        if a in ("-I", "-isystem", "-iquote", "-idirafter") and i + 1 < len(args):
            flags += [a, args[i + 1]]
            i += 2
            continue
        if a.startswith(("-I", "-isystem", "-iquote", "-idirafter")) or a in ("-nostdinc", "-nostdinc++"):
            flags.append(a)
        i += 1
    return args[0], flags


def flag_dirs(flags):
    dirs, i = [], 0
    while i < len(flags):
        f = flags[i]
        if f in ("-I", "-isystem", "-iquote", "-idirafter"):
            dirs.append(flags[i + 1])
            i += 2
            continue
        for p in ("-isystem", "-iquote", "-idirafter", "-I"):
            if f.startswith(p):
                dirs.append(f[len(p):])
                break
        i += 1
    return dirs


def compiles(compiler, flags, text, workdir):
    probe = os.path.join(workdir, "probe.c")
    with open(probe, "w") as f:
        f.write(text)
    r = subprocess.run([compiler, *flags, "-std=c17", "-fsyntax-only", probe], cwd=workdir, capture_output=True,
                       text=True)
    return r.returncode == 0, r.stderr


def first_error(stderr):
    lines = stderr.strip().splitlines()
    return next((line for line in lines if "error" in line), lines[0] if lines else "?")


def check_probe(root, compile_commands):
    """Violations of the module wall, from the include flags of every file of modules/ and examples/."""
    found = {}
    try:
        with open(compile_commands) as f:
            entries = json.load(f)
    except (OSError, ValueError) as e:
        return {f"{compile_commands}": f"cannot read the compile commands ({e}): configure the build first"}
    root_real = os.path.realpath(root)
    programs = program_folders(root_real)
    flag_sets = {}
    for e in entries:
        rel = os.path.relpath(os.path.realpath(os.path.join(e["directory"], e["file"])), root_real)
        if room_of(rel) is None or not room_of(rel).startswith(("module:", "example:")):
            continue
        compiler, flags = include_flags(e["command"] if "command" in e else shlex.join(e["arguments"]))
        flag_sets.setdefault((compiler, tuple(flags)), rel)
        for d in flag_dirs(flags):
            d_real = os.path.realpath(os.path.join(e["directory"], d))
            inside = os.path.relpath(d_real, root_real)
            if inside.startswith("..") or inside == "include":
                continue
            if inside == RUNTIME_DIR and room_of(rel).startswith("module:") and in_program(rel, programs):
                continue  # a module's own program: the relays' runtime too
            found[f"{rel} -> -I{d}"] = "a module's include path holds include/ alone of the tree (its own program " \
                f"also {RUNTIME_DIR}/)"
    if not flag_sets:
        return {f"{compile_commands}": "no file of modules/ in the compile commands"}
    with tempfile.TemporaryDirectory(prefix="cong-house-probe.") as work:
        for (compiler, flags), example in sorted(flag_sets.items(), key=lambda kv: kv[1]):
            ok, err = compiles(compiler, list(flags), "#include <cong/module.h>\nint probe(void) { return CONG_OK; }\n",
                               work)
            if not ok:
                found[f"{example}: <cong/module.h>"] = "the modules' flags must find the public header: " + \
                    first_error(err)
            for header in PROBE_FORBIDDEN:
                ok, err = compiles(compiler, list(flags), f'#include "{header}"\n', work)
                # gcc: "probe.c:1:10: fatal error: H: No such file or directory"; clang: "... 'H' file not found"
                missing = re.search(r"probe\.c:1:\d+: fatal error: '?" + re.escape(header) +
                                    r"'?(: No such file or directory| file not found)", err)
                if ok:
                    found[f"{example}: {header}"] = "compiles with the modules' include flags: the wall has a hole"
                elif not missing:
                    found[f"{example}: {header}"] = "is found with the modules' include flags (the wall has a hole; " \
                        "it failed later: " + first_error(err) + ")"
    return found


LABEL_RE = re.compile(r'^\s*"(node\d+)"\s*\[\s*label\s*=\s*"([^"]*)"\s*,\s*shape\s*=\s*(\w+)')
EDGE_RE = re.compile(r'^\s*"(node\d+)"\s*->\s*"(node\d+)"')
LIBRARY_SHAPES = {"octagon", "doubleoctagon", "tripleoctagon", "hexagon", "pentagon"}


def graphviz(root, work):
    """Runs a fresh configure of the root with --graphviz; the path of the main .dot file."""
    dot = os.path.join(work, "deps.dot")
    r = subprocess.run(["cmake", "-S", root, "-B", os.path.join(work, "build"), f"--graphviz={dot}"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-2000:] + r.stderr[-2000:])
        raise SystemExit("house: cycles: cmake could not configure the tree for --graphviz")
    return dot


def link_edges(dot):
    labels, edges = {}, set()
    with open(dot) as f:
        for line in f:
            m = LABEL_RE.match(line)
            if m and m.group(3) in LIBRARY_SHAPES:
                labels[m.group(1)] = m.group(2)
            m = EDGE_RE.match(line)
            if m:
                edges.add((m.group(1), m.group(2)))
    return {(labels[a], labels[b]) for a, b in edges if a in labels and b in labels}


def cycles(edges):
    """The strongly connected components of more than one target (or with a self-edge), each as a sorted list."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):  # Tarjan; the graphs are a few dozen targets, recursion is fine
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph[v]:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check_cycles(edges, allowed):
    """(failures, known): every edge inside a cycle left once the allowed edges are taken out; an allowed edge that
    no longer exists is a failure too (remove it from the list)."""
    kept = {e for e in edges if f"{e[0]} -> {e[1]}" not in allowed}
    failures = []
    for comp in cycles(kept):
        members = set(comp)
        for a, b in sorted(kept):
            if a in members and b in members:
                failures.append(f"{a} -> {b}: library targets link in a cycle ({' ⇄ '.join(comp)})")
    present = {f"{a} -> {b}" for a, b in edges}
    failures += [f"{e}: allowed but no longer linked: remove that line" for e in sorted(allowed - present)]
    return failures, sorted(allowed & present)


def check_sizes(root, allowed):
    """(failures, known): files of gateway/ over MAX_LINES lines. An allowed entry "PATH N" lets PATH have N lines at
    most (it may shrink, not grow); an entry whose file is back under the limit (or gone) is a failure too."""
    limits = {}
    for entry in allowed:
        name, _, n = entry.rpartition(" ")
        limits[name] = int(n) if n.isdigit() else 0
    failures, known, over = [], [], set()
    for src in source_files(root, "gateway"):
        with open(os.path.join(root, src), encoding="utf-8", errors="replace") as f:
            n = sum(1 for _ in f)
        if n <= MAX_LINES:
            continue
        over.add(src)
        if src in limits and n <= limits[src]:
            known.append(f"{src} ({n} lines)")
        elif src in limits:
            failures.append(f"{src}: {n} lines, more than the {limits[src]} it is allowed: split it by concept")
        else:
            failures.append(f"{src}: {n} lines, over {MAX_LINES}: split it by concept")
    failures += [f"{src}: allowed but no longer over {MAX_LINES} lines: remove that line"
                 for src in sorted(set(limits) - over)]
    return failures, known


def check_listed(found, allowed):
    """(failures, known) for a check whose allow-list names violations exactly ("SRC -> TARGET")."""
    failures = [f"{k}: {why}" for k, why in sorted(found.items()) if k not in allowed]
    failures += [f"{k}: allowed but no longer happens: remove that line" for k in sorted(allowed - set(found))]
    return failures, sorted(allowed & set(found))


def read_allow(path):
    """Entries of an allow-list: the text before any '#', blanks squeezed; empty lines skipped."""
    entries = set()
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    entries.add(re.sub(r"\s+", " ", line))
    except FileNotFoundError:
        pass
    return entries


def report(check, result, allow_file):
    """Prints the check's outcome; the number of failures."""
    failures, known = result
    for k in known:
        print(f"house: {check}: known exception, listed in {allow_file}: {k}")
    for f in failures:
        print(f"house: {check}: FAIL: {f}" + (f" [{allow_file}]" if "remove that line" in f else ""))
    if not failures:
        print(f"house: {check}: ok")
    return len(failures)


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True)
    p.add_argument("--build", help="a configured build folder (its compile_commands.json)")
    p.add_argument("--dot", help="a `cmake --graphviz` file instead of configuring the root")
    p.add_argument("--allow", default=os.path.join(here, "allow"))
    p.add_argument("--checks", default="includes,probe,cycles,sizes")
    a = p.parse_args(argv)
    root = os.path.abspath(a.root)
    checks = a.checks.split(",")
    unknown = set(checks) - {"includes", "probe", "cycles", "sizes"}
    if unknown:
        p.error(f"unknown check(s): {', '.join(sorted(unknown))}")
    if "probe" in checks and not a.build:
        p.error("the probe needs --build")
    failures = 0
    allow = {name: os.path.join(a.allow, name + ".txt") for name in ("includes", "cycles", "sizes")}
    if "includes" in checks:
        failures += report("includes", check_listed(check_includes(root), read_allow(allow["includes"])),
                           allow["includes"])
    if "probe" in checks:
        failures += report("probe", check_listed(check_probe(root, os.path.join(a.build, "compile_commands.json")),
                                                 set()), "-")
    if "cycles" in checks:
        with tempfile.TemporaryDirectory(prefix="cong-house-graph.") as work:
            edges = link_edges(a.dot or graphviz(root, work))
        failures += report("cycles", check_cycles(edges, read_allow(allow["cycles"])), allow["cycles"])
    if "sizes" in checks:
        failures += report("sizes", check_sizes(root, read_allow(allow["sizes"])), allow["sizes"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
