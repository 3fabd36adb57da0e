// Package tests holds checks that span the whole module, such as the import
// rules of docs/ARCHITECTURE.md. End-to-end, real-daemon and benchmark tiers live in
// the subdirectories.
package tests
