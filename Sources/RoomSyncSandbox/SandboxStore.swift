import RoomSyncCore
// Placeholder: the sandbox store lands with issue 3.
