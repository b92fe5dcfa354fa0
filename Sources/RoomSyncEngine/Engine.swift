import RoomSyncCore
// Placeholder: the engine lands with issue 4.
