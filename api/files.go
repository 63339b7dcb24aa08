package api

// fileRoutes returns the routes of GIS file import and export (Shapefile, GeoPackage, CSV, GeoJSON).
func (s *Server) fileRoutes() []Route { return nil }
