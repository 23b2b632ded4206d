package main

import "runtime/debug"

// defaultGCPercent is the garbage collector's GOGC unless the environment
// sets one. Threadline's live heap is small (2 to 5 MB) and does not grow
// with stored history, so with Go's default of 100 the heap stays near Go's
// floor of 4 MB and a busy daemon collects every couple of megabytes it
// allocates: about 170 collections per 30,000 messages, an eighth to a
// seventh of the CPU a message costs. At 200 the floor is 8 MB, collections
// are about a third as frequent, and the heap's peak is a few megabytes
// higher (docs/performance.md has the figures).
const defaultGCPercent = 200

// tuneGC sets defaultGCPercent unless GOGC is set (GOGC=100 restores Go's
// default; the runtime has read it already).
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
