// Package bridge is the base of Threadline's core: typed ids, conversations
// and messages, errors, the ports channels and surfaces implement, and the
// store contract. Its subpackages hold the kernel (engine, outbox), the
// pure rules (rules, sla, team, stats) and the adapters' connection helpers
// (live). It imports no adapter, store or command package.
package bridge
