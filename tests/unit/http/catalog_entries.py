#!/usr/bin/env python3
"""The catalog entries the contract's examples name, from scripts/gen-catalog.py (what scripts/seed.sh loads):

    python3 catalog_entries.py SOURCE_DIR [PROCEDURE_CODE ...]

prints {"procedures": {code: procedure as generated}, "units": {code: name}} with the procedures asked for (unknown
codes are left out) and every unit. Used by tests/unit/http/test_openapi.c; no database needed.
"""
import importlib.util
import json
import os
import sys

source = sys.argv[1]
spec = importlib.util.spec_from_file_location("gen_catalog", os.path.join(source, "scripts", "gen-catalog.py"))
catalog = importlib.util.module_from_spec(spec)
spec.loader.exec_module(catalog)

wanted = set(sys.argv[2:])
procedures = {p["code"]: p for p in catalog.procedures() if p["code"] in wanted}
# Units as gen-catalog.py's main() names them: wards, then communes (HN-W-001...), then departments (HN-D-<abbr>).
units = {}
for i, name in enumerate(catalog.WARDS + catalog.COMMUNES):
    units["HN-W-%03d" % (i + 1)] = ("Phường " if i < len(catalog.WARDS) else "Xã ") + name
for abbr, name_vi, _ in catalog.DEPARTMENTS:
    units["HN-D-" + abbr] = name_vi
json.dump({"procedures": procedures, "units": units}, sys.stdout, ensure_ascii=False)
