// Compiled with the `pack` module's own flags (Layering.BuildFindsWhatAModuleLinks):
// the control of the two refusals — pack's own headers, its private ones and
// those of the modules it links are found.
#include "smartspec/model/model.hpp"
#include "smartspec/pack/pack.hpp"
#include "smartspec/util/result.hpp"

int probe();
