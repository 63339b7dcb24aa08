// Package api is mudi's HTTP interface, built on Echo v5: the REST API for layers, features and
// their ledger history, health endpoints, request ids, access logging, write authentication and
// the single mapping from errors to RFC 9457 problem responses.
//
// Handlers are methods on [*Server], built by [New]. Coordinates in requests and responses are
// lon/lat degrees (RFC 7946) unless a crs parameter says otherwise.
package api
