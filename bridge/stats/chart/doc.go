// Package chart draws the digest's picture: conversations opened per hour
// of day (bars) above the first-response time per hour (median and p90
// lines), as a PNG. Rendering is deterministic: the same Stats give the
// same bytes, with fonts embedded (no system fonts are read).
package chart
