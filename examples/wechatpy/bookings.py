#!/usr/bin/env python3
"""A booking made with wechatpy 2.0.0a26 against a served roomsync sandbox (the booking API of SPEC section 10).

Usage:
    roomsync sandbox serve --port 0 --data :memory: &   # note the `listening on URL` line
    python3 bookings.py URL [CORP_ID] [SECRET]

Adds a room, books it tomorrow 10:10-10:40 (+08:00; WeCom widens that to the slots 10:00-11:00), lists the day's
bookings of the whole corp, is refused a clashing booking (40058 naming the clash), and cancels through
wechatpy's own `cancle_meetingroom_book`, which still sends WeCom's first name of the booking id, `meeting_id`.
Only where wechatpy reaches WeCom is changed. Prints one `ok …` line per step and exits 0, or raises.
"""
import sys
import time

from wechatpy.work import WeChatClient
from wechatpy.exceptions import WeChatClientException

CST = 8 * 3600


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

    oa = SandboxClient(corp_id, secret).oa
    room = oa.add_meetingroom("18F-会议室", 10, city="深圳", building="腾讯大厦", floor="18F")["meetingroom_id"]

    # Tomorrow, China Standard Time: bookings and the days queries may not cross are WeCom's zone's.
    today = (int(time.time()) + CST) // 86400 * 86400 - CST
    day = today + 86400
    booked = oa.book_meetingroom(room, day + 10 * 3600 + 600, day + 10 * 3600 + 2400, "zhangsan", subject="weekly")
    assert booked["errcode"] == 0 and booked["booking_id"], booked
    print("ok book:", booked["booking_id"])

    listed = oa.get_meetingroom_booking_info(start_time=day, end_time=day + 86400)["booking_list"]
    schedule = [entry for rooms in listed if rooms["meetingroom_id"] == room for entry in rooms["schedule"]]
    assert [(s["start_time"] - day, s["end_time"] - day, s["booker"], s["status"]) for s in schedule] == [
        (36000, 39600, "zhangsan", 0)
    ], schedule
    assert "subject" not in schedule[0], schedule
    print("ok get_booking_info: widened to 10:00-11:00, no subject")

    try:
        oa.book_meetingroom(room, day + 10 * 3600 + 1800, day + 12 * 3600, "lisi")
        raise AssertionError("a clashing booking was accepted")
    except WeChatClientException as error:
        assert error.errcode == 40058 and booked["booking_id"] in error.errmsg, error.errmsg
    print("ok clash refused (40058)")

    try:
        oa.get_meetingroom_booking_info(start_time=day, end_time=day + 2 * 86400)
        raise AssertionError("a query across days was accepted")
    except WeChatClientException as error:
        assert error.errcode == 40058, error
    print("ok a query across days refused (40058)")

    cancelled = oa.cancle_meetingroom_book(booked["booking_id"], keep_schedule=1)
    assert cancelled["errcode"] == 0, cancelled
    listed = oa.get_meetingroom_booking_info(meetingroom_id=room, start_time=day, end_time=day + 86400)
    assert [s["status"] for s in listed["booking_list"][0]["schedule"]] == [1], listed
    print("ok cancel_book (meeting_id): status 1")


if __name__ == "__main__":
    main()
