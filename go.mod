module github.com/mudi-gis/mudi

go 1.26.8

require (
	github.com/go-spatial/proj v0.3.0 // indirect
	github.com/labstack/echo/v5 v5.3.1 // indirect
	github.com/paulmach/orb v0.14.0 // indirect
	github.com/peterstace/simplefeatures v0.59.0 // indirect
	github.com/tidwall/geodesic v1.52.4 // indirect
	github.com/tidwall/geoindex v1.7.0 // indirect
	github.com/tidwall/rtree v1.11.1 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	go.mongodb.org/mongo-driver/v2 v2.5.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)
