"""Loads a collection with QGIS's OAPIF provider and saves it as a GeoPackage layer with
QgsVectorFileWriter, as Export > Save Features As… does.

args: url, typename, page_size, path (the .gpkg to write), layer (its layer name).
Returns valid, wkb_type, written (the error code, 0 for success), message and feature_count.
"""
from qgis.core import QgsCoordinateTransformContext, QgsVectorFileWriter, QgsVectorLayer, QgsWkbTypes

import harness


def main(args):
    layer = QgsVectorLayer(harness.oapif_uri(args["url"], args["typename"], args.get("page_size", 500)), "layer", "OAPIF")
    out = {"valid": layer.isValid()}
    if not layer.isValid():
        out["error"] = layer.error().summary()
        return out
    out["wkb_type"] = QgsWkbTypes.displayString(layer.wkbType())
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = args["layer"]
    options.fileEncoding = "UTF-8"
    res = QgsVectorFileWriter.writeAsVectorFormatV3(layer, args["path"], QgsCoordinateTransformContext(), options)
    out["written"] = int(res[0])
    out["message"] = res[1]
    out["feature_count"] = layer.featureCount()
    return out


harness.run(main)
