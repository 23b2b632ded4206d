// Package rules holds routing rules (match channel, words, addresses; set
// department, priority, tags, a reply) and the quick-reply templates with
// their {{variables}}: pure functions, no I/O.
package rules
