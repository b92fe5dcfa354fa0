#!/usr/bin/env python3
"""Writes an N-room benchmark world into DIR: the manifest of bench/gen-manifest.py (rooms/rooms.yaml, one file
however many rooms: since the alias-expansion bound grows with the document (SPEC 2), 100,000 rooms merging their
building anchors are one valid file), a sandbox data file (sandbox.json, for `roomsync sandbox serve --data`) where
every room exists and 1% differ from the manifest,
and a state (state.template.json) that manages every room, as a finished `roomsync apply` leaves them. The state's
endpoint is the placeholder @ENDPOINT@: the served sandbox picks its port when it starts.

Writing the files directly is what makes 100,000 rooms possible: an apply saves the state after every operation,
so creating them through roomsync would take hours.

usage: gen-world.py N DIR
"""
import importlib.util
import json
import os
import sys

_spec = importlib.util.spec_from_file_location("gen_manifest", os.path.join(os.path.dirname(__file__), "gen-manifest.py"))
gen_manifest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_manifest)

EQUIPMENT_IDS = {"tv": 1, "phone": 2, "projector": 3, "whiteboard": 4, "video": 5,
                 "电视": 1, "电话": 2, "投影": 3, "白板": 4, "视频": 5}
# One room in a hundred is different live (someone changed its capacity in the admin console).
CHANGED_EVERY = 100


def equipment_ids(items):
    return sorted({item if isinstance(item, int) else EQUIPMENT_IDS[item] for item in items})


def main():
    count, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    rooms = list(gen_manifest.generate(count))
    manifests = os.path.join(directory, "rooms")
    os.makedirs(manifests, exist_ok=True)
    for name in os.listdir(manifests):
        os.remove(os.path.join(manifests, name))
    with open(os.path.join(manifests, "rooms.yaml"), "w", encoding="utf-8") as out:
        gen_manifest.write_manifest(rooms, out)

    stored, managed, buildings = [], {}, {}
    for room in rooms:
        meetingroom_id = room["index"] + 1
        capacity = room["capacity"] if room["capacity"] is not None else gen_manifest.DEFAULT_CAPACITY
        equipment = equipment_ids(room["equipment"] if room["equipment"] is not None else gen_manifest.DEFAULT_EQUIPMENT)
        lat, lon = room["coordinate"]
        coordinate = {"latitude": lat, "longitude": lon}
        buildings.setdefault((room["city"], room["building"]), coordinate)
        room_range = None
        if room["range"] is not None:
            users, departments = room["range"]
            room_range = {"user_list": users, "department_list": departments}
        live_capacity = capacity + 1 if room["index"] % CHANGED_EVERY == CHANGED_EVERY // 2 else capacity
        # SandboxStore.StoredRoom
        record = {"id": meetingroom_id, "name": room["name"], "capacity": live_capacity,
                  "location": {"city": room["city"], "building": room["building"], "floor": room["floor"]},
                  "equipment": equipment}
        if room_range is not None:
            record["range"] = room_range
        stored.append(record)
        # RoomSyncState's ManagedRoom: what apply records after adding the room.
        applied = {"meetingroom_id": meetingroom_id, "name": room["name"], "capacity": capacity,
                   "city": room["city"], "building": room["building"], "floor": room["floor"],
                   "equipment": equipment, "coordinate": coordinate, "need_approval": 0}
        if room_range is not None:
            applied["range"] = room_range
        managed[room["key"]] = {"meetingroom_id": meetingroom_id, "protect": room["protect"], "applied": applied}

    sandbox = {"version": 1, "next_id": count + 1, "rooms": stored,
               "buildings": [{"city": city, "building": building, "coordinate": coordinate}
                             for (city, building), coordinate in buildings.items()]}
    with open(os.path.join(directory, "sandbox.json"), "w", encoding="utf-8") as out:
        json.dump(sandbox, out, ensure_ascii=False)
    state = {"format_version": 1, "target": {"endpoint": "@ENDPOINT@", "corp_id": "ww-sandbox"},
             "rooms": managed, "pending_adds": []}
    with open(os.path.join(directory, "state.template.json"), "w", encoding="utf-8") as out:
        json.dump(state, out, ensure_ascii=False, indent=2, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main()
