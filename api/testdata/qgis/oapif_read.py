"""Loads a collection with QGIS's OAPIF provider and reads every feature.

args: url (the OGC API landing page), typename (collection id), page_size, subset (an optional
QGIS expression set as the layer's subset string), fields (the attributes to return).
Returns valid, error, wkb_type, fields, feature_count and features: for each, the QGIS feature
id, the requested attributes, its geometry type and number of parts.
"""
from qgis.core import QgsVectorLayer, QgsWkbTypes

import harness


def main(args):
    layer = QgsVectorLayer(harness.oapif_uri(args["url"], args["typename"], args.get("page_size", 500)), "layer", "OAPIF")
    out = {"valid": layer.isValid()}
    if not layer.isValid():
        out["error"] = layer.error().summary()
        return out
    if args.get("subset"):
        out["subset_accepted"] = layer.setSubsetString(args["subset"])
    out["wkb_type"] = QgsWkbTypes.displayString(layer.wkbType())
    out["fields"] = [{"name": f.name(), "type": f.typeName()} for f in layer.fields()]
    names = [n for n in args.get("fields", []) if layer.fields().indexOf(n) >= 0]
    features = []
    for f in layer.getFeatures():
        g = f.geometry()
        features.append({
            "fid": f.id(),
            "attrs": {n: harness.value(f[n]) for n in names},
            "geometry": QgsWkbTypes.displayString(g.wkbType()),
            "parts": g.constGet().numGeometries() if not g.isNull() and g.isMultipart() else (0 if g.isNull() else 1),
        })
    out["features"] = features
    out["feature_count"] = layer.featureCount()
    return out


harness.run(main)
