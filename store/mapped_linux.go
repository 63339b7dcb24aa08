package store

import (
	"unsafe"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// releaseMapped lets the kernel drop from this process's resident memory the pages of the data
// file that reading has mapped in. bbolt reads through a memory map, so loading every layer at
// start would otherwise leave the whole file resident beside the index built from it (1 GB of
// file pages for a million parcels); the pages stay in the page cache and come back on the next
// read, unchanged (the map is read-only and shared).
//
// It must run inside a read transaction: bbolt only remaps with no transaction open, so the map
// and its first tx.Size() bytes (every page the transaction can see) stay valid meanwhile.
func releaseMapped(tx *bolt.Tx) {
	n := tx.Size()
	info := tx.DB().Info()
	if n <= 0 || info.Data == 0 {
		return
	}
	// The address is that of the map, outside the Go heap: reading it back as a pointer is sound.
	base := *(*unsafe.Pointer)(unsafe.Pointer(&info.Data))
	b := unsafe.Slice((*byte)(base), n)
	_ = unix.Madvise(b, unix.MADV_DONTNEED) // advice: nothing to do when refused
}
