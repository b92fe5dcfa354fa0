#ifndef ROOMSYNC_CMALLOC_SHIM_H
#define ROOMSYNC_CMALLOC_SHIM_H
#if defined(__linux__)
#include <malloc.h>
#endif
#endif
