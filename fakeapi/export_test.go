package fakeapi

// SetPoisonRecycled turns poisoning of the server's recycled leases on or
// off.
func SetPoisonRecycled(srv *Server, on bool) { srv.store.recycling.poison = on }

// Recycled is how many leases the server's store has recycled so far.
func Recycled(srv *Server) uint64 { return srv.store.recycling.recycled }
