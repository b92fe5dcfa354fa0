#!/usr/bin/env python3
"""Checks that a served sandbox keeps up: one unfiltered `list` of every room, then CALLS calls at once, each on
its own connection (filtered `list`s, one per floor of each building, round robin). Every answer must be HTTP 200
with errcode 0. Prints one line per check; exits 1 on the first failure. Loopback only; bounded in count and time.

usage: sandbox-load.py http://127.0.0.1:PORT [CALLS]   (default 1000)
"""
import asyncio
import json
import sys
import time
import urllib.parse
import urllib.request

BUILDINGS = [("深圳", "腾讯大厦"), ("深圳", "滨海大厦"), ("北京", "银科大厦"), ("北京", "中关村大厦"), ("上海", "腾云大厦"),
             ("广州", "TIT创意园")]
TIMEOUT = 120


def token(endpoint):
    query = urllib.parse.urlencode({"corpid": "ww-sandbox", "corpsecret": "sandbox-secret"})
    with urllib.request.urlopen(f"{endpoint}/cgi-bin/gettoken?{query}", timeout=TIMEOUT) as answer:
        return json.load(answer)["access_token"]


async def call(host, port, path, body):
    """One POST on a fresh connection; returns the decoded JSON answer."""
    reader, writer = await asyncio.open_connection(host, port)
    payload = json.dumps(body, ensure_ascii=False).encode()
    writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode() + payload)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, content = raw.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    if status != b"200":
        raise RuntimeError(f"HTTP {status.decode()}")
    if b"transfer-encoding: chunked" in head.lower():
        content = dechunk(content)
    return json.loads(content)


def dechunk(data):
    out = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return bytes(out)


async def main():
    endpoint = sys.argv[1]
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    parsed = urllib.parse.urlparse(endpoint)
    host, port = parsed.hostname, parsed.port
    assert host == "127.0.0.1", "loopback only"
    path = f"/cgi-bin/oa/meetingroom/list?access_token={token(endpoint)}"

    start = time.monotonic()
    answer = await asyncio.wait_for(call(host, port, path, {}), TIMEOUT)
    if answer.get("errcode") != 0:
        sys.exit(f"error: list answered {answer.get('errcode')}: {answer.get('errmsg')}")
    print(f"list of every room: {len(answer['meetingroom_list'])} rooms in {time.monotonic() - start:.2f} s")

    filters = [{"city": city, "building": building, "floor": f"{floor}F"}
               for city, building in BUILDINGS for floor in range(1, 41)]
    start = time.monotonic()
    answers = await asyncio.wait_for(asyncio.gather(
        *(call(host, port, path, filters[i % len(filters)]) for i in range(calls)), return_exceptions=True), TIMEOUT)
    failures = [a for a in answers if isinstance(a, Exception) or a.get("errcode") != 0]
    rooms = sum(len(a.get("meetingroom_list", [])) for a in answers if not isinstance(a, Exception))
    print(f"{calls} concurrent filtered lists: {calls - len(failures)} ok, {len(failures)} failed, "
          f"{rooms} rooms in all, {time.monotonic() - start:.2f} s")
    if failures:
        sys.exit(f"error: first failure: {failures[0]!r}")


if __name__ == "__main__":
    asyncio.run(main())
