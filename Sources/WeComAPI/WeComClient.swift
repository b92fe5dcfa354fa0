import RoomSyncCore
// Placeholder: the AsyncHTTPClient-based client lands with issue 3.
