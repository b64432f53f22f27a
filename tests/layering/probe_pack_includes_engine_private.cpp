// Compiled with the `pack` module's own flags (Layering.BuildRefusesAnotherModulesPrivateHeader):
// a private header of the engine (src/engine/) is no one else's.
#include "engine/agent.hpp"

int probe();
