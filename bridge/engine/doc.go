// Package engine is Threadline's kernel: it turns inbound customer messages,
// staff actions and the clock's sweeps into committed state plus outbox
// rows, one store transaction each. It decides; the outbox performs.
package engine
