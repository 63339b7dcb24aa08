//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// releaseMapped is a no-op where the map's resident pages are left to the system.
func releaseMapped(*bolt.Tx) {}
