// Package commands is the staff command language shared by every surface: a
// parser (reply, note or command), one declarative table of commands from
// which help is generated, and a Handler that applies them through the engine.
package commands
