package api

// ogcRoutes returns the routes of OGC API – Features.
func (s *Server) ogcRoutes() []Route { return nil }
