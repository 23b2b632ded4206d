// Package team answers who is who: staff roles, departments and their
// members (people and groups), on-call and who may be assigned. It is
// built once from config and read concurrently.
package team
