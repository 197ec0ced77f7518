#!/usr/bin/env python3
"""tests/fuzz/gen_h2_corpus.py — writes the seed corpus of fuzz_h2_server (tests/fuzz/corpus/h2_server/).

  python3 tests/fuzz/gen_h2_corpus.py [OUT_DIR]

Deterministic: the same files every run (names say what each one is). Each file is what an h2c client sends after the
connection preface (the target adds the preface); "\\n--MARK--\\n" splits an input into separate writes. The inputs:
valid requests (GET, POST with a body in DATA frames, many streams, priorities, trailers, SETTINGS variants), the
modes of tools/h2_attack.c (rapid reset, made-you-reset, CONTINUATION flood, HPACK bomb, PING/SETTINGS floods, zero
window), HPACK edge cases, and the limits of cong's h2o patches just under and just over (the target sets them:
reset burst 50, 100 concurrent streams, body limits 1000/20000 + 64 KiB slack, 4096 by default).
Only the files of the generated names are written; others in OUT_DIR (inputs the fuzzer found) are left alone.
"""
import os
import struct
import sys

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
MARK = b"\n--MARK--\n"

# Patches' thresholds (third_party/h2o-patches) and the target's limits (fuzz_h2_server.c set_limits, routes).
RESET_BURST = 50
MAX_STREAMS = 100
MAX_CONTINUATION_FRAMES = 128
MAX_HEADER_FIELDS = 512
MAX_REQLEN = 8192 + 4096 * 100
CONTROL_BURST = 1000
BODY_SLACK = 65536
NOTES_LIMIT = 1000


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def settings(*pairs, flags=0):
    return frame(SETTINGS, flags, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


SETTINGS_ACK = frame(SETTINGS, ACK, 0)


def window_update(sid, inc):
    return frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", inc))


def rst(sid, code=8):
    return frame(RST_STREAM, 0, sid, struct.pack(">I", code))


def ping(data=b"\0" * 8, flags=0):
    return frame(PING, flags, 0, data)


# ---- HPACK (RFC 7541) -------------------------------------------------------------------------------------------
def hint(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hstr(s, huffman=False):
    if isinstance(s, str):
        s = s.encode()
    if huffman:
        s = huff(s)
    return hint(len(s), 7, 0x80 if huffman else 0) + s


# The 5-bit codes of RFC 7541 Appendix B: enough for Huffman-coded values of these characters.
HUFF5 = {c: i for i, c in enumerate(b"012aceiost")}


def huff(s, pad_ones=True):
    bits, n = 0, 0
    for c in s:
        bits, n = (bits << 5) | HUFF5[c], n + 5
    pad = (8 - n % 8) % 8
    bits, n = (bits << pad) | (((1 << pad) - 1) if pad_ones else 0), n + pad
    return bits.to_bytes(n // 8, "big")


def indexed(i):
    return hint(i, 7, 0x80)


def lit(name, value, mode="none", huffman=False):
    """A literal with a new name: mode none (without indexing), never, or incremental (indexed)."""
    first = {"none": 0x00, "never": 0x10, "inc": 0x40}[mode]
    return bytes([first]) + hstr(name) + hstr(value, huffman)


def lit_idx(index, value, mode="none", huffman=False):
    """A literal whose name is a table entry."""
    bits, first = {"none": (4, 0x00), "never": (4, 0x10), "inc": (6, 0x40)}[mode]
    return hint(index, bits, first) + hstr(value, huffman)


def req(method="GET", path="/v1/ping", extra=b"", authority="cong.test"):
    m = {"GET": indexed(2), "POST": indexed(3)}.get(method) or lit_idx(2, method)
    p = {"/": indexed(4)}.get(path) or lit_idx(4, path)
    return m + indexed(6) + p + lit_idx(1, authority) + extra


def headers(sid, block, flags=END_HEADERS | END_STREAM):
    return frame(HEADERS, flags, sid, block)


def get(sid, path="/v1/ping", extra=b""):
    return headers(sid, req("GET", path, extra))


def post(sid, path, body, cl=True, split=None):
    extra = lit_idx(31, "application/json") + (lit_idx(28, str(len(body))) if cl else b"")
    out = headers(sid, req("POST", path, extra), END_HEADERS)
    step = split or max(len(body), 1)
    chunks = [body[i:i + step] for i in range(0, len(body), step)] or [b""]
    for i, c in enumerate(chunks):
        out += frame(DATA, END_STREAM if i == len(chunks) - 1 else 0, sid, c)
    return out


def streams(n, first=1, path="/v1/ping"):
    return b"".join(get(first + 2 * i, path) for i in range(n))


# ---- the inputs -------------------------------------------------------------------------------------------------
def corpus():
    s0 = settings()
    c = {}
    # valid traffic
    c["get_ping"] = s0 + get(1)
    c["get_ping_ack_split"] = s0 + MARK + SETTINGS_ACK + get(1)[:5] + MARK + get(1)[5:] + MARK + ping()
    c["get_dossier_query"] = s0 + get(1, "/v1/dossiers/HN-2026-000123?fields=steps&lang=en",
                                      lit("accept-language", "en-US,en;q=0.9") + lit_idx(19, "application/json"))
    c["get_not_found_and_405"] = s0 + get(1, "/nope") + headers(3, req("DELETE", "/v1/ping"))
    c["put_conflict_problem"] = s0 + headers(1, req("PUT", "/v1/dossiers/X", lit_idx(28, "0")))
    c["post_notes"] = s0 + post(1, "/v1/notes", b'{"text":"xin chao"}')
    c["post_notes_split_data"] = s0 + post(1, "/v1/notes", b"x" * 900, split=100).replace(
        frame(DATA, 0, 1, b"x" * 100), frame(DATA, 0, 1, b"x" * 100) + MARK, 3)
    c["post_notes_no_length"] = s0 + post(1, "/v1/notes", b"y" * 300, cl=False, split=150)
    c["post_notes_padded"] = s0 + headers(1, req("POST", "/v1/notes"), END_HEADERS) + frame(
        DATA, PADDED | END_STREAM, 1, b"\x05" + b"body" + b"\0" * 5)
    c["post_with_trailers"] = s0 + headers(1, req("POST", "/v1/notes"), END_HEADERS) + frame(DATA, 0, 1, b"abc") + \
        headers(1, lit("x-checksum", "abc"))
    c["post_uploads_5000"] = s0 + post(1, "/v1/uploads", b"u" * 5000, split=1000)
    c["get_events_windowed"] = s0 + get(1, "/v1/events") + MARK + window_update(0, 1 << 20) + \
        window_update(1, 1 << 20) + MARK + window_update(0, 1 << 20) + window_update(1, 1 << 20)
    c["get_events_then_rst"] = s0 + get(1, "/v1/events") + MARK + rst(1) + get(3)
    c["head_events"] = s0 + headers(1, req("HEAD", "/v1/events"))
    c["many_streams_20"] = s0 + streams(20) + streams(5, 41, "/v1/events")
    c["priorities"] = s0 + frame(PRIORITY, 0, 3, struct.pack(">IB", 0, 200)) + headers(
        1, struct.pack(">IB", 0x80000003, 15) + req(), END_HEADERS | END_STREAM | PRIORITY_FLAG) + frame(
        PRIORITY, 0, 5, struct.pack(">IB", 1, 0)) + get(5) + frame(PRIORITY, 0, 9, struct.pack(">IB", 0x80000005, 9))
    c["priority_on_itself"] = s0 + get(1) + frame(PRIORITY, 0, 3, struct.pack(">IB", 3, 0))
    c["priority_bad_length"] = s0 + frame(PRIORITY, 0, 3, b"\0\0\0\0") + get(1)
    c["settings_variants"] = settings((1, 0), (2, 0), (3, 10), (4, 1 << 20), (5, 16384), (6, 8192), (0x99, 7)) + \
        get(1) + settings((5, 16777215), (4, 0)) + settings((1, 65536))
    c["settings_bad_push"] = settings((2, 2)) + get(1)
    c["settings_window_too_big"] = settings((4, 1 << 31)) + get(1)
    c["settings_frame_size_small"] = settings((5, 100)) + get(1)
    c["settings_ack_with_payload"] = s0 + settings((1, 0), flags=ACK)
    c["settings_odd_length"] = frame(SETTINGS, 0, 0, b"\0\1\0\0\0")
    c["settings_on_stream"] = frame(SETTINGS, 0, 1, b"")
    c["goaway_from_client"] = s0 + get(1) + frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0) + b"bye") + get(3)
    c["window_update_overflow"] = s0 + get(1, "/v1/events") + window_update(0, 0x7fffffff) + \
        window_update(0, 0x7fffffff)
    c["data_on_idle_and_closed"] = s0 + frame(DATA, 0, 9, b"x") + get(1) + MARK + frame(DATA, 0, 1, b"late")
    c["data_on_stream_0"] = s0 + frame(DATA, 0, 0, b"x")
    c["push_promise_from_client"] = s0 + frame(PUSH_PROMISE, END_HEADERS, 1, struct.pack(">I", 2) + req())
    c["even_stream_id"] = s0 + get(2)
    c["unknown_frame_types"] = s0 + b"".join(frame(0x20 + i, 0xff, i, b"?" * i) for i in range(10)) + get(1)
    c["header_uppercase_name"] = s0 + get(1, extra=lit("Upper", "x"))
    c["header_connection_specific"] = s0 + get(1, extra=lit("connection", "close"))
    c["header_te_trailers"] = s0 + get(1, extra=lit("te", "trailers")) + get(3, extra=lit_idx(28, "12"))
    c["header_no_path"] = s0 + headers(1, indexed(2) + indexed(6) + lit_idx(1, "a"))
    c["header_pseudo_after_regular"] = s0 + headers(1, lit("x", "y") + req())
    c["headers_padded_bad"] = s0 + frame(HEADERS, END_HEADERS | PADDED, 1, b"\xff" + req())
    # tools/h2_attack.c's modes, cut to just over the patches' limits
    c["rapid_reset_under"] = s0 + b"".join(get(1 + 2 * i) + rst(1 + 2 * i) for i in range(RESET_BURST - 5))
    c["rapid_reset_over"] = s0 + b"".join(get(1 + 2 * i) + rst(1 + 2 * i) for i in range(RESET_BURST + 5))
    c["rapid_reset_events"] = s0 + b"".join(get(1 + 2 * i, "/v1/events") + rst(1 + 2 * i) for i in range(60))
    c["made_you_reset_over"] = s0 + b"".join(get(1 + 2 * i, "/v1/events") + window_update(1 + 2 * i, 0)
                                             for i in range(RESET_BURST + 5))
    c["streams_at_limit"] = s0 + streams(MAX_STREAMS, path="/v1/events")
    c["streams_over_limit"] = s0 + streams(MAX_STREAMS + 3, path="/v1/events")
    cont = headers(1, req()[:4], END_STREAM)
    c["continuation_under"] = s0 + cont + b"".join(
        frame(CONTINUATION, 0, 1, b"") for _ in range(MAX_CONTINUATION_FRAMES - 2)) + frame(
        CONTINUATION, END_HEADERS, 1, req()[4:])
    c["continuation_over"] = s0 + cont + b"".join(
        frame(CONTINUATION, 0, 1, b"") for _ in range(MAX_CONTINUATION_FRAMES + 2))
    c["continuation_wrong_stream"] = s0 + cont + frame(CONTINUATION, END_HEADERS, 3, req()[4:])
    c["continuation_interrupted"] = s0 + cont + ping() + frame(CONTINUATION, END_HEADERS, 1, req()[4:])
    big = "v" * 4000
    bomb = req(extra=lit("x-bomb", big, "inc"))
    c["hpack_bomb_bytes_over"] = s0 + headers(1, bomb + indexed(62) * (MAX_REQLEN // 4000 + 2))
    c["hpack_bomb_fields_under"] = s0 + headers(1, req(extra=lit("x-f", "1", "inc") + indexed(62) * (
        MAX_HEADER_FIELDS - 10)))
    c["hpack_bomb_fields_over"] = s0 + headers(1, req(extra=lit("x-f", "1", "inc") + indexed(62) * (
        MAX_HEADER_FIELDS + 2)))
    c["ping_flood_under"] = s0 + ping() * (CONTROL_BURST - 50)
    c["ping_flood_over"] = s0 + ping() * (CONTROL_BURST + 5)
    c["ping_ack_and_bad"] = s0 + ping(flags=ACK) + frame(PING, 0, 0, b"short") + get(1)
    c["settings_flood_over"] = s0 + b"".join(settings((4, 65535 + (i & 1))) for i in range(CONTROL_BURST + 5))
    c["empty_data_flood"] = s0 + headers(1, req("POST", "/v1/notes"), END_HEADERS) + \
        frame(DATA, 0, 1, b"") * (CONTROL_BURST + 5)
    c["zero_window"] = settings((4, 0)) + streams(8, path="/v1/events") + MARK + ping()
    c["zero_window_then_open"] = settings((4, 0)) + get(1, "/v1/events") + MARK + settings((4, 65535)) + \
        window_update(1, 300000) + window_update(0, 300000)
    # HPACK edge cases
    c["hpack_table_size_updates"] = s0 + headers(1, hint(0, 5, 0x20) + hint(4096, 5, 0x20) + req(
        extra=lit("x-a", "1", "inc"))) + headers(3, hint(100, 5, 0x20) + req(extra=indexed(62)))
    c["hpack_table_size_too_big"] = s0 + headers(1, hint(1 << 20, 5, 0x20) + req())
    c["hpack_table_size_after_field"] = s0 + headers(1, req() + hint(0, 5, 0x20))
    c["hpack_index_zero"] = s0 + headers(1, req() + indexed(0))
    c["hpack_index_huge"] = s0 + headers(1, req() + indexed(70) + indexed(1 << 30))
    c["hpack_int_overflow"] = s0 + headers(1, req() + b"\xff" + b"\xff" * 12 + b"\x01")
    c["hpack_int_max_len_string"] = s0 + headers(1, req() + b"\x00\x7f\xff\xff\xff\xff\x0f" + b"n")
    c["hpack_string_past_block"] = s0 + headers(1, req() + b"\x00\x05abc")
    c["huffman_valid"] = s0 + headers(1, req(extra=lit("x-h", "tea0102", huffman=True) + lit_idx(
        19, "tea", huffman=True)))
    c["huffman_bad_padding_zeros"] = s0 + headers(1, req() + b"\x00" + hstr("x-h") + b"\x81" + bytes([0x18]))
    c["huffman_padding_too_long"] = s0 + headers(1, req() + b"\x00" + hstr("x-h") + b"\x82\x1f\xff")
    c["huffman_eos"] = s0 + headers(1, req() + b"\x00" + hstr("x-h") + b"\x84\xff\xff\xff\xff")
    c["huffman_in_name"] = s0 + headers(1, req() + b"\x00\x82" + huff(b"tea") + hstr("v"))
    # patch 0005: a repeated long literal without indexing (64 bytes to 8 KiB), plain and Huffman-coded
    for label, size in (("63", 63), ("64", 64), ("8192", 8192), ("8193", 8193)):
        value = ("Bearer " + "t" * (size - 7))
        c["repeated_literal_" + label] = s0 + b"".join(get(1 + 2 * i, extra=lit_idx(23, value)) for i in range(3))
    hv = "ties" * 30
    c["repeated_literal_huffman"] = s0 + b"".join(
        get(1 + 2 * i, extra=lit("x-session", hv, "never", huffman=True)) for i in range(3)) + \
        get(7, extra=lit("x-session", hv[:-1] + "o", "never", huffman=True))
    # patch 0004: a body limit per request (route /v1/notes: 1000 + 64 KiB slack)
    over = NOTES_LIMIT + BODY_SLACK
    c["body_limit_cl_over"] = s0 + headers(1, req("POST", "/v1/notes", lit_idx(28, str(over + 1))), END_HEADERS) + \
        frame(DATA, END_STREAM, 1, b"z")
    c["body_limit_cl_at"] = s0 + headers(1, req("POST", "/v1/notes", lit_idx(28, str(over))), END_HEADERS) + \
        frame(DATA, 0, 1, b"z" * 1001) + rst(1)
    c["body_over_route_limit"] = s0 + post(1, "/v1/notes", b"q" * (NOTES_LIMIT + 1))
    c["body_data_past_slack"] = s0 + post(1, "/v1/notes", b"d" * (over + 1), cl=False, split=16384) + get(3)
    c["body_cl_mismatch"] = s0 + headers(1, req("POST", "/v1/notes", lit_idx(28, "3")), END_HEADERS) + \
        frame(DATA, END_STREAM, 1, b"toolong")
    c["body_cl_unparsable"] = s0 + headers(1, req("POST", "/v1/notes", lit_idx(28, "1e3")), END_HEADERS) + \
        frame(DATA, END_STREAM, 1, b"x")
    # patch 0009: a streamed body (route /v1/partners/stream, limit 100000, no slack; answered before it ends). Bodies
    # declared at most 64 KiB are buffered as before (route_lookup.h): these declare none, or more.
    big = lit_idx(28, "70000")
    c["streamed_body"] = s0 + post(1, "/v1/partners/stream", b"s" * 20000, cl=False, split=4000) + get(3)
    c["streamed_body_declared"] = s0 + headers(1, req("POST", "/v1/partners/stream", big), END_HEADERS) + MARK + \
        frame(DATA, 0, 1, b"d" * 16384) + MARK + frame(DATA, 0, 1, b"d" * 16384) + get(3)
    c["streamed_body_no_length"] = s0 + post(1, "/v1/partners/stream", b"n" * 9000, cl=False, split=3000)
    c["streamed_body_over_limit"] = s0 + post(1, "/v1/partners/stream", b"o" * 100001, cl=False, split=16384) + get(3)
    c["streamed_body_cl_over"] = s0 + headers(1, req("POST", "/v1/partners/stream", lit_idx(28, "100001")),
                                              END_HEADERS) + frame(DATA, END_STREAM, 1, b"z")
    c["streamed_body_cl_mismatch"] = s0 + headers(1, req("POST", "/v1/partners/stream", big), END_HEADERS) + MARK + \
        frame(DATA, END_STREAM, 1, b"toolong")
    c["streamed_body_trailers"] = s0 + headers(1, req("POST", "/v1/partners/stream"), END_HEADERS) + MARK + \
        frame(DATA, 0, 1, b"abc") + headers(1, lit("x-checksum", "abc"), END_HEADERS | END_STREAM)
    c["streamed_body_rst"] = s0 + headers(1, req("POST", "/v1/partners/stream"), END_HEADERS) + \
        frame(DATA, 0, 1, b"abc") + MARK + rst(1) + get(3)
    return c


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus",
                                                             "h2_server")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(corpus().items()):
        with open(os.path.join(out, "seed_" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
