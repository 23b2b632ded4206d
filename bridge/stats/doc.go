// Package stats builds the response-time and volume statistics staff read
// in !stats, the CLI and digests, and renders them as text (chart/ draws
// the digest's picture).
package stats
