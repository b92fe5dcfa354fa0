#!/usr/bin/env python3
"""wechatpy 2.0.0a26 (the Python SDK with WeCom meeting-room calls), unchanged, against a served roomsync sandbox.

Usage:
    roomsync sandbox serve --port 0 --data :memory: --token-ttl 3 &   # note the `listening on URL` line
    python3 check.py URL [CORP_ID] [SECRET]

Adds rooms, lists them with filters, edits, deletes, and refreshes a stale token, through wechatpy's own
meeting-room methods. Only where wechatpy reaches WeCom is changed: its API base URL and gettoken URL (both
hard-coded to qyapi.weixin.qq.com). Prints one `ok …` line per step and exits 0, or raises.
"""
import sys
import time

from wechatpy.work import WeChatClient
from wechatpy.exceptions import WeChatClientException


def main():
    endpoint = sys.argv[1].rstrip("/")
    corp_id = sys.argv[2] if len(sys.argv) > 2 else "ww-sandbox"
    secret = sys.argv[3] if len(sys.argv) > 3 else "sandbox-secret"

    class SandboxClient(WeChatClient):
        API_BASE_URL = endpoint + "/cgi-bin/"

        def fetch_access_token(self):
            return self._fetch_access_token(
                url=endpoint + "/cgi-bin/gettoken",
                params={"corpid": self.corp_id, "corpsecret": self.secret},
            )

    client = SandboxClient(corp_id, secret)
    oa = client.oa

    first = oa.add_meetingroom(
        "18F-会议室", 10, city="深圳", building="腾讯大厦", floor="18F", equipment=[1, 2, 3],
        latitude="22.540503", longitude="113.934528",
    )
    assert first["errcode"] == 0 and isinstance(first["meetingroom_id"], int), first
    second = oa.add_meetingroom("19F-会议室", 20, city="深圳", building="腾讯大厦", floor="19F", equipment=[2, 3])
    third = oa.add_meetingroom("Lobby", 4)
    ids = [first["meetingroom_id"], second["meetingroom_id"], third["meetingroom_id"]]
    assert ids == sorted(ids) and len(set(ids)) == 3, ids
    print("ok add: ids", ids)

    everything = oa.get_meetingroom_list()["meetingroom_list"]
    assert [room["meetingroom_id"] for room in everything] == ids, everything
    assert all(room.get("need_approval") == 0 for room in everything), everything
    in_building = oa.get_meetingroom_list(city="深圳", building="腾讯大厦")["meetingroom_list"]
    assert [room["meetingroom_id"] for room in in_building] == ids[:2], in_building
    on_floor = oa.get_meetingroom_list(city="深圳", building="腾讯大厦", floor="18F")["meetingroom_list"]
    assert [room["name"] for room in on_floor] == ["18F-会议室"], on_floor
    assert on_floor[0]["coordinate"] == {"latitude": "22.540503", "longitude": "113.934528"}, on_floor
    with_equipment = oa.get_meetingroom_list(equipment=[1])["meetingroom_list"]
    assert [room["meetingroom_id"] for room in with_equipment] == ids[:1], with_equipment
    try:
        oa.get_meetingroom_list(building="腾讯大厦")
        raise AssertionError("a building filter without city was accepted")
    except WeChatClientException as error:
        assert error.errcode == 40058, error
        assert "more info at https://open.work.weixin.qq.com/devtool/query?e=40058" in error.errmsg, error.errmsg
    print("ok list with filters")

    edited = oa.edit_meetingroom(ids[1], "19F-大会议室", 30, city="深圳", building="腾讯大厦", floor="19F", equipment=[4])
    assert edited["errcode"] == 0, edited
    room = [r for r in oa.get_meetingroom_list()["meetingroom_list"] if r["meetingroom_id"] == ids[1]][0]
    assert (room["name"], room["capacity"], room["equipment"]) == ("19F-大会议室", 30, [4]), room
    print("ok edit")

    deleted = oa.delete_meetingroom(ids[2])
    assert deleted["errcode"] == 0, deleted
    left = [r["meetingroom_id"] for r in oa.get_meetingroom_list()["meetingroom_list"]]
    assert left == ids[:2], left
    print("ok delete")

    # gettoken hands out one token while it is valid (WeCom does too).
    a = client.fetch_access_token()
    b = client.fetch_access_token()
    assert a["access_token"] == b["access_token"] or a["expires_in"] <= 1, (a["expires_in"], b["expires_in"])
    print("ok gettoken: one token while it is valid")

    # A stale token: wechatpy refreshes on 40014 (a token WeCom never issued) and on 42001 (one that expired), then
    # sends the call again. `expires_at` far ahead makes wechatpy trust its cached token instead of fetching first.
    client.session.set(client.access_token_key, "stale-token", 3600)
    client.expires_at = int(time.time()) + 3600
    assert len(oa.get_meetingroom_list()["meetingroom_list"]) == 2
    assert client.session.get(client.access_token_key) != "stale-token"
    print("ok stale-token refresh (40014)")

    # The sandbox runs with a short --token-ttl: wait it out, keep the old token cached, and call.
    old = client.fetch_access_token()
    time.sleep(old["expires_in"] + 1.5)
    client.session.set(client.access_token_key, old["access_token"], 3600)
    client.expires_at = int(time.time()) + 3600
    assert len(oa.get_meetingroom_list()["meetingroom_list"]) == 2
    assert client.session.get(client.access_token_key) != old["access_token"], "an expired token was replaced"
    print("ok expired-token refresh (42001)")


if __name__ == "__main__":
    main()
