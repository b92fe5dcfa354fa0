#ifndef ROOMSYNC_CLIBYAML_SHIM_H
#define ROOMSYNC_CLIBYAML_SHIM_H
#include <yaml.h>
#endif
