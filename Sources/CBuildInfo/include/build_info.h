#ifndef ROOMSYNC_BUILD_INFO_H
#define ROOMSYNC_BUILD_INFO_H

/// The commit roomsync was built from: `scripts/package.sh` sets ROOMSYNC_COMMIT in the environment, which
/// Package.swift turns into this target's define; a plain `swift build` has none and says "unknown".
const char *roomsync_build_commit(void);

#endif
