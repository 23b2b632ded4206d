// Package sla holds the pure parts of service levels: business-hours
// calendars, on-call rotations, policies and the nag decision, all
// functions of config, state and an explicit time.
package sla
