/// Every test that uses the network support also gets the small one (golden files, temporary folders, fixtures).
@_exported import RoomSyncCoreTestSupport
