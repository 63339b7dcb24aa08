package api

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/spatial"
)

// HTML representations of the OGC API resources: plain pages with tables and links, no
// scripts and no external assets, readable in any browser.

// htmlPage is what every page template receives.
type htmlPage struct {
	Title string
	Links []link
	Data  any
	Base  string // the public base URL ([Server.publicBase]) that the pages' own links start with
}

func (s *Server) renderHTML(c *echo.Context, name string, p htmlPage) error {
	p.Base = s.publicBase(c)
	var b bytes.Buffer
	if err := ogcTemplates.ExecuteTemplate(&b, name, p); err != nil {
		return fmt.Errorf("render %s page: %w", name, err)
	}
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

// itemsView is the data of the items page.
type itemsView struct {
	Collection string
	Columns    []string
	Rows       []itemRow
	First      int // 1-based position of the first row
	Last       int
	Matched    int
}

type itemRow struct {
	ID     spatial.FeatureID
	Href   string
	Values []string
}

func (s *Server) itemsPage(c *echo.Context, sn *spatial.Snapshot, qs []queryable, page []*spatial.Feature, offset, matched int) itemsView {
	v := itemsView{Collection: sn.Layer.Title, Matched: matched, First: offset + 1, Last: offset + len(page)}
	for _, q := range qs {
		v.Columns = append(v.Columns, q.Name)
	}
	base := "/ogc/collections/" + url.PathEscape(sn.Layer.ID) + "/items/"
	for _, f := range page {
		props := f.Properties()
		row := itemRow{ID: f.ID, Href: s.href(c, base+strconv.FormatUint(uint64(f.ID), 10), url.Values{"f": {"html"}})}
		for _, col := range v.Columns {
			row.Values = append(row.Values, htmlValue(props[col]))
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// itemView is the data of the item page.
type itemView struct {
	ID         spatial.FeatureID
	Geometry   string
	Bound      string
	Properties [][2]string
}

func itemPage(sn *spatial.Snapshot, qs []queryable, f *spatial.Feature) itemView {
	b := f.Bound()
	v := itemView{ID: f.ID, Geometry: multiPolygon(f.Geometry).GeoJSONType(),
		Bound: fmt.Sprintf("%.7f, %.7f, %.7f, %.7f", b.Min[0], b.Min[1], b.Max[0], b.Max[1])}
	props := f.Properties()
	seen := map[string]bool{}
	for _, q := range qs {
		val, ok := props[q.Name]
		if !ok {
			continue
		}
		seen[q.Name] = true
		label := q.Name
		if q.Title != "" {
			label += "（" + q.Title + "）"
		}
		v.Properties = append(v.Properties, [2]string{label, htmlValue(val)})
	}
	for _, k := range sortedKeys(props) { // attributes outside the schema
		if !seen[k] {
			v.Properties = append(v.Properties, [2]string{k, htmlValue(props[k])})
		}
	}
	return v
}

func htmlValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

var ogcTemplates = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top;white-space:nowrap}
th{background:#f3f3f3}nav a{margin-right:1em}code{background:#f3f3f3;padding:0 .2em}.links{font-size:.9em;color:#555}
</style></head><body>
<nav><a href="{{.Base}}/ogc?f=html">mudi OGC API</a><a href="{{.Base}}/ogc/collections?f=html">collections</a><a href="{{.Base}}/ogc/api?f=html">API</a><a href="{{.Base}}/ogc/conformance?f=html">conformance</a></nav>
<h1>{{.Title}}</h1>{{end}}

{{define "links"}}<h2>Links</h2><ul class="links">{{range .Links}}<li><a href="{{.Href}}">{{if .Title}}{{.Title}}{{else}}{{.Rel}}{{end}}</a> <code>{{.Rel}}</code> {{.Type}}</li>{{end}}</ul>{{end}}

{{define "foot"}}</body></html>{{end}}

{{define "landing"}}{{template "head" .}}<p>{{index .Data "description"}}</p>{{template "links" .}}{{template "foot" .}}{{end}}

{{define "conformance"}}{{template "head" .}}<ul>{{range .Data}}<li><code>{{.}}</code></li>{{end}}</ul>{{template "links" .}}{{template "foot" .}}{{end}}

{{define "collections"}}{{template "head" .}}<table><tr><th>id</th><th>title</th><th>description</th><th>items</th></tr>
{{range .Data}}<tr><td><a href="{{$.Base}}/ogc/collections/{{.ID}}?f=html">{{.ID}}</a></td><td>{{.Title}}</td><td>{{.Description}}</td><td><a href="{{$.Base}}/ogc/collections/{{.ID}}/items?f=html">items</a></td></tr>{{end}}
</table>{{template "links" .}}{{template "foot" .}}{{end}}

{{define "collection"}}{{template "head" .}}{{with .Data}}<p>{{.Description}}</p>
<table><tr><th>id</th><td>{{.ID}}</td></tr><tr><th>item type</th><td>{{.ItemType}}</td></tr>
<tr><th>extent</th><td>{{.BBoxText}}</td></tr>
<tr><th>storage CRS</th><td>{{.StorageCRS}}</td></tr><tr><th>CRSs</th><td>{{len .CRS}} CRSs: CRS84, EPSG:4490, EPSG:4326, EPSG:4513–4554</td></tr></table>
<p><a href="{{$.Base}}/ogc/collections/{{.ID}}/items?f=html">Browse the features</a> · <a href="{{$.Base}}/ogc/collections/{{.ID}}/queryables?f=html">queryables</a> · <a href="{{$.Base}}/ogc/collections/{{.ID}}/schema">schema</a></p>{{end}}
{{template "links" .}}{{template "foot" .}}{{end}}

{{define "queryables"}}{{template "head" .}}<table><tr><th>name</th><th>schema</th></tr>
{{$p := index .Data "props"}}{{range index .Data "names"}}<tr><td><code>{{.}}</code></td><td>{{index $p .}}</td></tr>{{end}}</table>
{{template "links" .}}{{template "foot" .}}{{end}}

{{define "items"}}{{template "head" .}}{{with .Data}}
<p>{{if .Rows}}Features {{.First}}–{{.Last}} of {{.Matched}}{{else}}No features on this page ({{.Matched}} matched){{end}}.</p>
<table><tr><th>id</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td><a href="{{.Href}}">{{.ID}}</a></td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{end}}
{{template "links" .}}{{template "foot" .}}{{end}}

{{define "item"}}{{template "head" .}}{{with .Data}}
<table><tr><th>id</th><td>{{.ID}}</td></tr><tr><th>geometry</th><td>{{.Geometry}}, bounds {{.Bound}} (CRS84)</td></tr>
{{range .Properties}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>{{end}}
{{template "links" .}}{{template "foot" .}}{{end}}

{{define "api"}}{{template "head" .}}<p>Every endpoint of this server, from the same route table that builds the router and the
<a href="{{.Base}}/ogc/api">OpenAPI 3.0 document</a>. Writes need <code>Authorization: Bearer &lt;key&gt;</code>; errors are RFC 9457 problem JSON.</p>
{{range .Data}}<h2 id="{{.OperationID}}"><code>{{.Method}} {{.Path}}</code></h2><p>{{.Summary}}{{if .Write}} <em>(write: API key)</em>{{end}}</p>
{{if .Params}}<table><tr><th>parameter</th><th>type</th><th>description</th></tr>{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}} *{{end}}</td><td>{{.Type}}{{if .Enum}}: {{range $i, $e := .Enum}}{{if $i}}, {{end}}{{$e}}{{end}}{{end}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
<ul>{{range .Responses}}<li>{{index . 0}}: {{index . 1}}</li>{{end}}</ul>{{end}}
{{template "links" .}}{{template "foot" .}}{{end}}
`))
