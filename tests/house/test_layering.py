#!/usr/bin/env python3
"""tests/house/test_layering.py — the house check checked (ctest house/checker): a small fake tree that keeps every
rule passes, and the same tree with one rule broken fails with a line naming what broke it. Each case below breaks
exactly one rule, so a check that stopped looking would let its case pass and fail this test."""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layering  # noqa: E402

# A tree that keeps every rule: a module on the public header, the rooms below the host on cong/errors.h, the host on
# everything but modules (its built-in table names a module's entry point).
CLEAN = {
    "include/cong/errors.h": "enum { CONG_OK = 0 };\n",
    "include/cong/module.h": '#include <stddef.h>\n#include "cong/errors.h"\n',
    "modules/hello/hello.h": "#include <cong/module.h>\n",
    "modules/hello/hello.c": '#include "hello.h"\n#include "cong/module.h"\n#include <stdio.h>\n',
    "modules/hello/relay/main.c": '#include "../hello.h"\n#include <curl/curl.h>\n#include "relay_runtime.h"\n',
    "modules/hello/relay/CMakeLists.part.cmake": "add_executable(hello-relay main.c)\n",
    "examples/partner/partner.c": "#include <cong/module.h>\n",
    "common/log.h": '#include "cong/errors.h"\n',
    "common/log.c": '#include "log.h"\n',
    "common/common.h": '#include "log.h"\n',
    "auth/auth.h": '#include "common/common.h"\n#include "cong/errors.h"\n',
    "common/relay_runtime/relay_runtime.h": '#include <libpq-fe.h>\n#include "cong/errors.h"\n',
    "common/relay_runtime/pg.c": '#include "relay_runtime.h"\n#include "common/log.h"\n',
    "push/push.h": '#include "auth/auth.h"\n#include "common/log.h"\n#include <jansson.h>\n',
    "push/relay/relay.c": '#include "push/push.h"\n#include "common/relay_runtime/relay_runtime.h"\n',
    "push/relay/CMakeLists.part.cmake": "add_executable(push-relay relay.c)\n",
    "gateway/gateway.h": '#include "auth/auth.h"\n#include "push/push.h"\n#include "cong/module.h"\n',
    "gateway/host/builtin_modules.c": '#include "modules/hello/hello.h"\n#include "gateway/gateway.h"\n',
    "gateway/http/server.c": '#include "gateway/gateway.h"\n' + "int x;\n" * (layering.MAX_LINES - 1),
    "gateway/stores/redis.h": '#include "common/common.h"\n',
    "gateway/stores/stores.h": '#include "redis.h"\n',
    "gateway/stores/redis.c": '#include "redis.h"\n#include "gateway/stores/stores.h"\n',
    "gateway/host/host.h": '#include "gateway/gateway.h"\n',
    "gateway/host/jobs.c": '#include "gateway/host/host.h"\n#include "gateway/stores/stores.h"\n',
    "tests/unit/test_anything.c": '#include "gateway/gateway.h"\n#include "modules/hello/hello.h"\n',
}
ACYCLIC = [("cong_gateway", "cong_auth"), ("cong_auth", "cong_common"), ("cong_gateway", "cong_modules")]


def dot(edges):
    names = sorted({n for e in edges for n in e})
    ids = {n: f"node{i}" for i, n in enumerate(names)}
    lines = ["digraph \"cong\" {", '    "node99" [ label = "PkgConfig::SSL", shape = pentagon ];']
    lines += [f'    "{ids[n]}" [ label = "{n}", shape = octagon ];' for n in names]
    lines += [f'    "{ids[a]}" -> "{ids[b]}"  // {a} -> {b}' for a, b in edges]
    lines += ['    "node0" -> "node99"', "}"]
    return "\n".join(lines) + "\n"


class FakeTree:
    """A temporary tree with CLEAN's files (changed by `files`), allow-lists, a graph and compile commands."""

    def __init__(self, files=None, allow=None, edges=ACYCLIC, module_flags="-I{root}/include",
                 program_flags="-I{root}/include -I{root}/common/relay_runtime"):
        self.dir = tempfile.TemporaryDirectory(prefix="cong-house-test.")
        self.root = os.path.realpath(self.dir.name)
        tree = dict(CLEAN)
        tree.update(files or {})
        for path, text in tree.items():
            if text is None:
                continue
            if path.endswith(".h"):
                text = "#pragma once\n" + text
            full = os.path.join(self.root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
        os.makedirs(os.path.join(self.root, "allow"))
        for name, text in (allow or {}).items():
            with open(os.path.join(self.root, "allow", name + ".txt"), "w") as f:
                f.write(text)
        with open(os.path.join(self.root, "deps.dot"), "w") as f:
            f.write(dot(edges))
        os.makedirs(os.path.join(self.root, "build"))
        commands = []
        if module_flags is not None:
            for src in ("modules/hello/hello.c", "examples/partner/partner.c", "modules/hello/relay/main.c"):
                flags = (program_flags if "/relay/" in src else module_flags).format(root=self.root)
                commands.append({"directory": os.path.join(self.root, "build"), "file": os.path.join(self.root, src),
                                 "command": f"cc {flags} -Wall -o x.o -c {os.path.join(self.root, src)}"})
        commands.append({"directory": os.path.join(self.root, "build"),
                         "file": os.path.join(self.root, "gateway/http/server.c"),
                         "command": f"cc -I{self.root}/include -I{self.root} -c {self.root}/gateway/http/server.c"})
        with open(os.path.join(self.root, "build", "compile_commands.json"), "w") as f:
            json.dump(commands, f)

    def run(self, checks):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = layering.main(["--root", self.root, "--build", os.path.join(self.root, "build"), "--dot",
                                os.path.join(self.root, "deps.dot"), "--allow", os.path.join(self.root, "allow"),
                                "--checks", checks])
        self.dir.cleanup()
        return rc, out.getvalue()


class Layering(unittest.TestCase):
    def passes(self, checks, **tree):
        rc, out = FakeTree(**tree).run(checks)
        self.assertEqual(rc, 0, out)
        self.assertNotIn("FAIL", out)

    def fails(self, checks, expected, **tree):
        rc, out = FakeTree(**tree).run(checks)
        self.assertEqual(rc, 1, out)
        self.assertIn(expected, out)

    # --- the clean tree, every check --------------------------------------------------------------------------------
    def test_clean_tree_passes(self):
        self.passes("includes,probe,cycles,sizes")

    # --- includes ----------------------------------------------------------------------------------------------------
    def test_module_includes_gateway(self):
        self.fails("includes", "modules/hello/hello.c -> gateway/gateway.h",
                   files={"modules/hello/hello.c": '#include "gateway/gateway.h"\n'})

    def test_module_includes_push_with_angles(self):
        self.fails("includes", "modules/hello/relay/main.c -> push/push.h",
                   files={"modules/hello/relay/main.c": "#include <push/push.h>\n"})

    def test_module_includes_another_module(self):
        self.fails("includes", "modules/other/other.c -> modules/hello/hello.h",
                   files={"modules/other/other.c": '#include "../hello/hello.h"\n'})

    # --- the relays' runtime: programs only, and a module's own program by that one header --------------------------
    def test_in_process_module_includes_the_relay_runtime(self):
        self.fails("includes", "modules/hello/hello.c -> common/relay_runtime/relay_runtime.h: only a program",
                   files={"modules/hello/hello.c": '#include "relay_runtime.h"\n'})

    def test_module_folder_without_its_executable_includes_the_relay_runtime(self):
        self.fails("includes", "modules/hello/relay/main.c -> common/relay_runtime/relay_runtime.h: only a program",
                   files={"modules/hello/relay/CMakeLists.part.cmake": "add_library(hello_relay main.c)\n"})

    def test_module_program_includes_common(self):
        self.fails("includes", "modules/hello/relay/main.c -> common/log.h: a module includes cong/*.h",
                   files={"modules/hello/relay/main.c": '#include "relay_runtime.h"\n#include "common/log.h"\n'})

    def test_host_includes_the_relay_runtime(self):
        self.fails("includes", "gateway/http/server.c -> common/relay_runtime/relay_runtime.h: only a program",
                   files={"gateway/http/server.c": '#include "common/relay_runtime/relay_runtime.h"\n'})

    def test_push_library_includes_the_relay_runtime(self):
        self.fails("includes", "push/push.h -> common/relay_runtime/relay_runtime.h: only a program",
                   files={"push/push.h": '#include "common/relay_runtime/relay_runtime.h"\n'})

    def test_probe_in_process_module_with_the_runtime_folder(self):
        self.fails("probe", "modules/hello/hello.c -> -I", module_flags="-I{root}/include -I{root}/common/relay_runtime")

    def test_probe_module_program_with_common(self):
        self.fails("probe", "modules/hello/relay/main.c -> -I", program_flags="-I{root}/include -I{root}/common")

    def test_example_includes_common(self):
        self.fails("includes", "examples/partner/partner.c -> common/log.h",
                   files={"examples/partner/partner.c": '#include "common/log.h"\n'})

    def test_public_header_includes_a_library(self):
        self.fails("includes", "include/cong/module.h -> jansson.h",
                   files={"include/cong/module.h": "#include <jansson.h>\n"})

    def test_public_header_includes_common(self):
        self.fails("includes", "include/cong/module.h -> common/log.h",
                   files={"include/cong/module.h": '#include "common/log.h"\n'})

    def test_common_includes_auth(self):
        self.fails("includes", "common/log.c -> auth/auth.h", files={"common/log.c": '#include "auth/auth.h"\n'})

    def test_common_includes_the_module_abi(self):
        self.fails("includes", "common/log.h -> include/cong/module.h",
                   files={"common/log.h": '#include "cong/module.h"\n'})

    def test_auth_includes_gateway(self):
        self.fails("includes", "auth/auth.h -> gateway/gateway.h",
                   files={"auth/auth.h": '#include "gateway/gateway.h"\n'})

    def test_auth_includes_push(self):
        self.fails("includes", "auth/auth.h -> push/push.h", files={"auth/auth.h": '#include "push/push.h"\n'})

    def test_push_includes_gateway(self):
        self.fails("includes", "push/relay/relay.c -> gateway/gateway.h",
                   files={"push/relay/relay.c": '#  include "gateway/gateway.h"\n'})

    def test_host_includes_a_module(self):
        self.fails("includes", "gateway/http/server.c -> modules/hello/hello.h",
                   files={"gateway/http/server.c": '#include "modules/hello/hello.h"\n'})

    def test_allowed_include_passes_and_stale_fails(self):
        bad = {"auth/auth.h": '#include "gateway/gateway.h"\n'}
        self.passes("includes", files=bad, allow={"includes": "auth/auth.h -> gateway/gateway.h  # going away\n"})
        self.fails("includes", "allowed but no longer happens",
                   allow={"includes": "auth/auth.h -> gateway/gateway.h  # going away\n"})

    # --- the host's rooms: contracts and direction -----------------------------------------------------------------
    def test_cross_room_include_of_an_internal_header(self):
        self.fails("includes", "gateway/host/jobs.c -> gateway/stores/redis.h: another room includes stores/ through "
                   "its contract header gateway/stores/stores.h only",
                   files={"gateway/host/jobs.c": '#include "gateway/stores/redis.h"\n'})

    def test_cross_room_include_of_the_contract_header(self):
        self.passes("includes", files={"gateway/host/jobs.c": '#include "../stores/stores.h"\n'})

    def test_common_internal_header_from_a_room(self):
        self.fails("includes", "gateway/http/server.c -> common/log.h: another room includes common/ through",
                   files={"gateway/http/server.c": '#include "common/log.h"\n'})

    def test_auth_includes_common_through_its_contract(self):
        self.fails("includes", "auth/auth.h -> common/log.h: another room includes common/",
                   files={"auth/auth.h": '#include "common/log.h"\n'})

    def test_room_includes_a_room_below_it_only(self):
        self.fails("includes", "gateway/stores/redis.c -> gateway/host/host.h: stores/ may not use host/",
                   files={"gateway/stores/redis.c": '#include "gateway/host/host.h"\n'})

    # --- probe -------------------------------------------------------------------------------------------------------
    def test_probe_root_on_the_modules_path(self):
        self.fails("probe", "gateway/gateway.h: compiles with the modules' include flags",
                   module_flags="-I{root}/include -I{root}")

    def test_probe_hole_found_but_failing_later(self):
        self.fails("probe", "gateway/gateway.h: is found with the modules' include flags",
                   files={"gateway/gateway.h": "#include <h2o_not_on_the_modules_path.h>\n"},
                   module_flags="-I{root}/include -iquote {root}")

    def test_probe_root_as_system_folder(self):
        self.fails("probe", "a module's include path holds include/ alone",
                   module_flags="-I{root}/include -isystem {root}")

    def test_probe_public_header_not_found(self):
        self.fails("probe", "<cong/module.h>: the modules' flags must find the public header", module_flags="")

    def test_probe_without_modules(self):
        self.fails("probe", "no file of modules/", module_flags=None)

    # --- cycles ------------------------------------------------------------------------------------------------------
    def test_two_target_cycle(self):
        self.fails("cycles", "cong_auth -> cong_gateway: library targets link in a cycle",
                   edges=ACYCLIC + [("cong_auth", "cong_gateway")])

    def test_longer_cycle(self):
        self.fails("cycles", "cong_common -> cong_gateway: library targets link in a cycle",
                   edges=ACYCLIC + [("cong_common", "cong_gateway")])

    def test_allowed_edge_passes_and_stale_fails(self):
        allow = {"cycles": "cong_auth -> cong_gateway  # the identity branch removes it\n"}
        self.passes("cycles", edges=ACYCLIC + [("cong_auth", "cong_gateway")], allow=allow)
        self.fails("cycles", "cong_auth -> cong_gateway: allowed but no longer linked", allow=allow)

    # --- sizes -------------------------------------------------------------------------------------------------------
    def test_file_over_the_limit(self):
        self.fails("sizes", "gateway/http/server.c: 551 lines",
                   files={"gateway/http/server.c": "int x;\n" * (layering.MAX_LINES + 1)})

    def test_allowed_size_may_shrink_not_grow(self):
        allow = {"sizes": "gateway/http/server.c 600  # being split\n"}
        self.passes("sizes", files={"gateway/http/server.c": "int x;\n" * 600}, allow=allow)
        self.fails("sizes", "601 lines, more than the 600 it is allowed",
                   files={"gateway/http/server.c": "int x;\n" * 601}, allow=allow)
        self.fails("sizes", "allowed but no longer over 550 lines", allow=allow)


if __name__ == "__main__":
    unittest.main(verbosity=1)
