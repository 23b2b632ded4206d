// Package adaptertest holds what adapter tests share: in-process recording
// surfaces and channels for engine tests, loopback fake platform servers
// (which check every API call against the platform's published description,
// package contract), and helpers to wait for outcomes without sleeping blindly.
package adaptertest
