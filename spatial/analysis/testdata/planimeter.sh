#!/bin/sh
# Regenerates planimeter.out, the reference ellipsoidal areas (WGS 84, geodesic edges) of the
# polygons in planimeter.in, with GeographicLib's Planimeter (Debian: geographiclib-tools).
# Output per polygon: number of points, perimeter (m), area (m²).
# Produced with: Planimeter: GeographicLib version 2.1.2
cd "$(dirname "$0")" && Planimeter -w -p 12 --comment-delimiter '#' < planimeter.in > planimeter.out
