"""A form that satisfies a procedure's declared fields (tests only): python3 valid_form.py PROCEDURE.json"""
import json, re, sys
p = json.load(open(sys.argv[1]))
cands = ["Nguyễn Thị Lan", "001099004711", "0912345678", "Số 1 Tràng Tiền, Hoàn Kiếm", "HN-123456", "A1", "1"]
form = {}
for f in p["form_fields"]:
    t = f.get("type", "string")
    if t == "integer": form[f["name"]] = 1
    elif t == "boolean": form[f["name"]] = True
    elif t == "date": form[f["name"]] = "2026-11-02"
    elif t == "enum": form[f["name"]] = f["enum"][0]
    else:
        pat = f.get("pattern")
        ml = f.get("max_length", 10000)
        ok = [c for c in cands if len(c) <= ml and (pat is None or re.search(pat.replace("\\d", "[0-9]"), c))]
        form[f["name"]] = ok[0] if ok else "x"
print(json.dumps(form, ensure_ascii=False))
