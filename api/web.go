package api

// webRoutes returns the routes of the web viewer.
func (s *Server) webRoutes() []Route { return nil }
