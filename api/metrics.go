package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics holds the server's Prometheus collectors, in a registry of its own (no globals).
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mudi_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mudi_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
	}
	m.registry.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		layerCollector{s})
	return m
}

// observe counts one request and its duration, labelled by route pattern (bounded cardinality).
func (m *metrics) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		start := time.Now()
		err := next(c)
		status := http.StatusOK
		if resp, uerr := echo.UnwrapResponse(c.Response()); uerr == nil && resp.Status != 0 {
			status = resp.Status
		}
		route := c.Path()
		m.requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return err
	}
}

// layerCollector reports the layers of the index and the tile cache as they are at scrape time.
type layerCollector struct{ s *Server }

var (
	descFeatures   = prometheus.NewDesc("mudi_layer_features", "Features of a layer.", []string{"layer", "kind"}, nil)
	descVersion    = prometheus.NewDesc("mudi_layer_version", "Version of a layer (increments on every change).", []string{"layer"}, nil)
	descCacheBytes = prometheus.NewDesc("mudi_tile_cache_bytes", "Bytes held by the tile cache.", nil, nil)
	descCacheTiles = prometheus.NewDesc("mudi_tile_cache_entries", "Tiles held by the tile cache.", nil, nil)
	descCacheHits  = prometheus.NewDesc("mudi_tile_cache_hits_total", "Tile requests answered from the cache.", nil, nil)
	descCacheMiss  = prometheus.NewDesc("mudi_tile_cache_misses_total", "Tile requests that rendered.", nil, nil)
)

func (l layerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descFeatures, descVersion, descCacheBytes, descCacheTiles, descCacheHits, descCacheMiss} {
		ch <- d
	}
}

func (l layerCollector) Collect(ch chan<- prometheus.Metric) {
	for _, sn := range l.s.index.Layers() {
		ch <- prometheus.MustNewConstMetric(descFeatures, prometheus.GaugeValue, float64(sn.Len()), sn.Layer.ID, string(sn.Layer.Kind))
		ch <- prometheus.MustNewConstMetric(descVersion, prometheus.GaugeValue, float64(sn.Layer.Version), sn.Layer.ID)
	}
	st := l.s.tiles.Cache().Stats()
	ch <- prometheus.MustNewConstMetric(descCacheBytes, prometheus.GaugeValue, float64(st.Bytes))
	ch <- prometheus.MustNewConstMetric(descCacheTiles, prometheus.GaugeValue, float64(st.Entries))
	ch <- prometheus.MustNewConstMetric(descCacheHits, prometheus.CounterValue, float64(st.Hits))
	ch <- prometheus.MustNewConstMetric(descCacheMiss, prometheus.CounterValue, float64(st.Misses))
}

func (s *Server) metricsHandler(c *echo.Context) error {
	promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}
