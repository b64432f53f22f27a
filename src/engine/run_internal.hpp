// Internals shared by the engine's files.
#pragma once

namespace smartspec::engine {

// A numbered point where a test may SIGKILL the process (SMARTSPEC_CRASH_AT=N).
void crash_point();
// SIGINT/SIGTERM/SIGHUP received.
bool interrupted();

}  // namespace smartspec::engine
