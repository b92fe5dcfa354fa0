#include "build_info.h"

// Swift's compiler flags define no values, so the commit is a C define, turned into a string here rather than
// passed with quotes that a build system might strip.
#ifndef ROOMSYNC_COMMIT
#define ROOMSYNC_COMMIT unknown
#endif
#define ROOMSYNC_STRING(x) #x
#define ROOMSYNC_EXPANDED_STRING(x) ROOMSYNC_STRING(x)

const char *roomsync_build_commit(void) { return ROOMSYNC_EXPANDED_STRING(ROOMSYNC_COMMIT); }
