// Package adaptertest holds what adapter tests share: in-process recording
// surfaces and channels for engine tests, loopback fake platform servers,
// and helpers to wait for asynchronous outcomes without sleeping blindly.
package adaptertest
