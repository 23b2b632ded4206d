// Package bridge is Threadline's core: typed ids, conversations and messages,
// the engine that turns inbound customer messages and staff actions into
// committed state plus outbox rows, and the outbox worker that delivers them.
// It imports no adapter, store or command package; they implement its interfaces.
package bridge
